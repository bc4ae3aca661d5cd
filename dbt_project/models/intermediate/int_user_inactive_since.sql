-- When each user became inactive: the earliest version (SystemModstamp at or before the as-of
-- time) with IsActive = false. Staging keeps only the latest version, so this reads raw's
-- versions. One row per user that has been inactive.
select
    record_id as user_id,
    min({{ parse_instant(json_text('SystemModstamp')) }}) as inactive_since
from {{ source('salesforce', 'user') }}
where
    cast({{ json_text('IsActive') }} as boolean) = false
    and {{ parse_instant(json_text('SystemModstamp')) }} <= {{ as_of_timestamp() }}
group by record_id
