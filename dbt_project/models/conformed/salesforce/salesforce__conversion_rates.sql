-- Salesforce's dated conversion rates (conformed `conversion_rates`): units of `iso_code` per one
-- unit of the org's corporate (reporting) currency, in effect for dates from `start_date` up to
-- (not including) `next_start_date` (null: open-ended). Grain: one row per DatedConversionRate.
select
    iso_code,
    'salesforce' as source_system,
    conversion_rate,
    start_date,
    next_start_date
from {{ ref('stg_salesforce__dated_conversion_rates') }}
