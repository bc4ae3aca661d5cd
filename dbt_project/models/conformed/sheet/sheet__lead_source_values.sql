-- A lead sheet's lead-source walk (conformed `lead_source_values`, lifecycle-semantics section 3):
-- the Source values its snapshot versions held, in the order first seen (the current one last).
-- Grain: one row per version that changed the source.
with sources as (
    select
        lead_id,
        version_order,
        lead_source,
        lag(lead_source) over (partition by lead_id order by version_order) as previous_source
    from {{ ref('sheet__lead_versions') }}
    where not is_deletion
)

select
    lead_id,
    'sheet' as source_system,
    cast(row_number() over (partition by lead_id order by version_order) as bigint) as walk_order,
    lead_source as source_value
from sources
where lead_source is not null and (previous_source is null or previous_source != lead_source)
