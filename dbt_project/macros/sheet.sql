{# A lead sheet's staging model `model` restricted to the night's read: the rows whose latest
   read is the latest read at or before the as-of (a row staged from an earlier read is no longer
   in the sheet). #}
{% macro sheet_night_read(model) %}
    select * from {{ ref(model) }} as rows_read
    where rows_read.seen_at = (select max(reads.seen_at) from {{ ref(model) }} as reads)
{% endmacro %}
