-- Each SLA clock measured: elapsed minutes once stopped (calendar or business minutes, as the
-- policy says), and its status at the as-of time. A clock whose times are known only to the
-- night is not measured (`int_sla_clocks`).
with clocks as (
    select * from {{ ref('int_sla_clocks') }}
    where
        not is_known_to_the_night
        -- a pending clock moves with the as-of alone (to breached: a breach stays one)
        and {{ lead_is_rebuilt('lead_id', also='select lead_id from ' ~ this ~ " where sla_status = 'pending'") }}
),

measured as (
    select
        clocks.lead_id,
        clocks.sla_name,
        clocks.time_zone,
        clocks.start_at,
        clocks.stop_at,
        clocks.target_minutes,
        case
            when clocks.stop_at is null then null
            when clocks.minute_kind = 'business'
                then greatest(
                    0, {{ business_minutes_at('clocks.stop_at', 'stop_day') }}
                    - {{ business_minutes_at('clocks.start_at', 'start_day') }}
                )
            else greatest(0, {{ minutes_between('clocks.start_at', 'clocks.stop_at') }})
        end as elapsed_minutes,
        case
            when clocks.minute_kind = 'business'
                then
                    {{ business_minutes_at(as_of_timestamp(), 'as_of_day') }}
                    - {{ business_minutes_at('clocks.start_at', 'start_day') }}
            else {{ minutes_between('clocks.start_at', as_of_timestamp()) }}
        end as minutes_to_as_of
    from clocks
    {{ join_business_day('start_day', 'clocks.start_at', 'clocks.time_zone') }}
    {{ join_business_day('stop_day', 'clocks.stop_at', 'clocks.time_zone') }}
    {{ join_business_day('as_of_day', as_of_timestamp(), 'clocks.time_zone') }}
)

select
    lead_id,
    sla_name,
    time_zone,
    start_at,
    stop_at,
    target_minutes,
    elapsed_minutes,
    case
        when stop_at is not null and elapsed_minutes <= target_minutes then 'met'
        when stop_at is not null then 'breached'
        when minutes_to_as_of > target_minutes then 'breached'
        else 'pending'
    end as sla_status
from measured
