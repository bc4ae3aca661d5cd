-- HubSpot's exchange rates (conformed `conversion_rates`, contract section 4): HubSpot's
-- `conversionRate` is units of the company currency for one unit of `fromCurrencyCode`, so the
-- conformed rate (units of the currency per one unit of the reporting currency) is its inverse.
-- A rate is in effect from its `effectiveAt` date until that currency's next rate (of several on
-- one date, the latest effective, then the latest created). The company currency's own rate is
-- 1. Grain: one row per currency and start date.
with rates as (
    select
        from_currency_code as iso_code,
        cast(effective_at as date) as start_date,
        1 / conversion_rate as conversion_rate,
        row_number() over (
            partition by from_currency_code, cast(effective_at as date)
            order by effective_at desc, created_at desc, exchange_rate_id desc
        ) as recency
    from {{ ref('stg_hubspot__exchange_rates') }}
    where
        created_at <= {{ as_of_timestamp() }}
        and conversion_rate > 0
),

company as (
    select
        cast(1 as double precision) as conversion_rate,
        cast('1900-01-01' as date) as start_date,
        max(company_currency) as iso_code
    from {{ ref('stg_hubspot__account') }}
    having max(company_currency) is not null
),

dated as (
    select
        iso_code,
        conversion_rate,
        start_date
    from rates
    where recency = 1
    union all
    select
        iso_code,
        conversion_rate,
        start_date
    from company
    where iso_code not in (select rates.iso_code from rates)
)

select
    iso_code,
    'hubspot' as source_system,
    conversion_rate,
    start_date,
    lead(start_date) over (partition by iso_code order by start_date) as next_start_date
from dated
