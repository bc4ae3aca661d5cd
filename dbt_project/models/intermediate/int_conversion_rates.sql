-- Dated conversion rates: units of `iso_code` per one unit of the reporting currency, in effect
-- for dates from `start_date` up to (not including) `next_start_date` (null: open-ended), of every
-- source system (conformed `conversion_rates`).
{{ union_systems('conversion_rates') }}
