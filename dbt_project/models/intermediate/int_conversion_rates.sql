-- Dated conversion rates: units of `iso_code` per one unit of the reporting currency, in effect
-- for dates from `start_date` up to (not including) `next_start_date` (null: open-ended).
select
    iso_code,
    conversion_rate,
    start_date,
    next_start_date
from {{ ref('stg_salesforce__dated_conversion_rates') }}
