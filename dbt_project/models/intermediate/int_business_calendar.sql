-- One row per time zone in use and local day, with that day's business window in UTC and the
-- business minutes of all earlier days. Business minutes between two instants are then a
-- difference of two look-ups (see the `business_minutes_at` macro), correct across weekends
-- and daylight-saving changes because each window is converted from local time on its own day.
with day_numbers as (
    {{ dbt.generate_series(40000) }}
),

instants as (
    select start_at as instant_at from {{ ref('int_sla_clocks') }}
    union all
    select stop_at as instant_at from {{ ref('int_sla_clocks') }}
    union all
    select {{ as_of_timestamp() }} as instant_at
),

bounds as (
    select
        cast({{ dbt.dateadd('day', -2, 'min(instant_at)') }} as date) as first_day,
        cast({{ dbt.dateadd('day', 2, 'max(instant_at)') }} as date) as last_day
    from instants
),

days as (
    select cast({{ dbt.dateadd('day', 'day_numbers.generated_number - 1', 'bounds.first_day') }} as date) as local_date
    from day_numbers
    cross join bounds
    where day_numbers.generated_number - 1 <= {{ dbt.datediff('bounds.first_day', 'bounds.last_day', 'day') }}
),

zones as (
    select distinct time_zone from {{ ref('int_sla_clocks') }}
),

windows as (
    select
        zones.time_zone,
        days.local_date,
        {{ local_to_utc(
            "cast(cast(days.local_date as " ~ dbt.type_string() ~ ") || ' ' || hours.opens_at as timestamp)",
            'zones.time_zone') }} as window_start_at,
        {{ local_to_utc(
            "cast(cast(days.local_date as " ~ dbt.type_string() ~ ") || ' ' || hours.closes_at as timestamp)",
            'zones.time_zone') }} as window_end_at
    from zones
    cross join days
    left join {{ ref('business_hours') }} as hours
        on extract(isodow from days.local_date) = hours.iso_day_of_week
),

sized as (
    select
        time_zone,
        local_date,
        window_start_at,
        window_end_at,
        coalesce({{ minutes_between('window_start_at', 'window_end_at') }}, 0) as window_minutes
    from windows
)

select
    time_zone,
    local_date,
    window_start_at,
    window_end_at,
    window_minutes,
    coalesce(sum(window_minutes) over (
        partition by time_zone
        order by local_date
        rows between unbounded preceding and 1 preceding
    ), 0) as minutes_before_day
from sized
