-- Campaigns (name, type) at the as-of time, of every source system (conformed `campaigns`); a
-- source system without campaigns has none, and `mart_source_coverage` says so.
{{ union_systems('campaigns') }}
