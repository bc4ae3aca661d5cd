-- Integrity of the night's own work, one row per check with its failing count; the integrity
-- suite expects every count to be 0, else nothing is published: every source object was
-- extracted within `freshness_hours` of the run. (Rows read and not landed, and keys staged
-- twice, are `audit_raw_staging_reconciliation`'s; records without their parent are findings,
-- not losses: `audit_orphaned_records`.)
with loads as (
    select
        object as source_object,
        max(loaded_at) as last_loaded_at
    from {{ source('raw_meta', 'loads') }}
    group by object
)

select
    'source object extracted in the last ' || {{ var('freshness_hours') }} || ' hours: ' || source_object
        as check_name,
    case
        when {{ minutes_between('last_loaded_at', dbt.current_timestamp()) }} > 60 * {{ var('freshness_hours') }}
            then 1
        else 0
    end as failing
from loads
