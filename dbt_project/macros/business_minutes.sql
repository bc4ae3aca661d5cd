{#
    Business minutes are a running total per time zone (`int_business_calendar`): the minutes of
    all business windows before an instant's local day, plus the part of that day's window
    already gone. The business minutes between two instants are the difference of the totals.

    `calendar` is the alias of `int_business_calendar` joined on the instant's zone and local
    day with `join_business_day`.
#}
{% macro business_minutes_at(instant, calendar) -%}
    ({{ calendar }}.minutes_before_day + case
        when {{ calendar }}.window_start_at is null or {{ instant }} <= {{ calendar }}.window_start_at then 0
        when {{ instant }} >= {{ calendar }}.window_end_at then {{ calendar }}.window_minutes
        else {{ minutes_between(calendar ~ '.window_start_at', instant) }}
    end)
{%- endmacro %}

{% macro join_business_day(calendar, instant, time_zone) -%}
    left join {{ ref('int_business_calendar') }} as {{ calendar }}
        on
            {{ calendar }}.time_zone = {{ time_zone }}
            and {{ calendar }}.local_date = cast({{ utc_to_local(instant, time_zone) }} as date)
{%- endmacro %}
