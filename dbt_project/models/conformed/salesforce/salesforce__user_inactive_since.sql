-- When each user became inactive: the earliest version (SystemModstamp at or before the as-of
-- time) with IsActive = false. Staging keeps only the latest version, so this reads raw's
-- versions (a version's SystemModstamp as received is its `record_version`). One row per user
-- that has been inactive.
{{ config(materialized='table') }}
select
    record_id as user_id,
    min({{ parse_instant('record_version') }}) as inactive_since
from {{ source('salesforce', 'user') }}
where
    cast(payload ->> 'IsActive' as boolean) = false
    and {{ parse_instant('record_version') }} <= {{ as_of_timestamp() }}
group by record_id
