-- One row per source object: whether tonight's marts could use it. An object the org does not
-- have (or whose fields are unreadable), or a system without a connection, is skipped at
-- extraction; what depends on it is then not known rather than zero (dashboards read this
-- before trusting, say, campaign membership counts).
select
    source_object,
    records,
    skipped_reason,
    is_available
from {{ ref('int_source_objects') }}
