-- A lead sheet's dated rates (conformed `conversion_rates`): the Rates tab's rows in the night's
-- read, units of the currency per one US dollar, each in effect from its start date until that
-- currency's next. Grain: one row per currency and start date.
with rates as (
    {{ sheet_night_read('stg_sheet__rates') }}
)

select
    iso_code,
    'sheet' as source_system,
    conversion_rate,
    start_date,
    lead(start_date) over (partition by iso_code order by start_date) as next_start_date
from rates
where conversion_rate > 0
