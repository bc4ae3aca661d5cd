-- The lead universe: every Salesforce lead that exists at the as-of time and is not deleted
-- (merged-away leads are deleted, so they drop out).
select *
from {{ ref('stg_salesforce__leads') }}
where not is_deleted
