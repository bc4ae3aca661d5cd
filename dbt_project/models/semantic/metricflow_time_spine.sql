-- One row per day from 2015 to 2035: the time spine MetricFlow joins metrics to (a day with no
-- leads is still a day). Not published: the semantic layer queries the work warehouse.
select cast(range as date) as date_day
from range(date '2015-01-01', date '2036-01-01', interval 1 day)
