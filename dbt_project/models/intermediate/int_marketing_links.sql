-- Each lead's linked marketing person and that person's own source, of every source system
-- (conformed `marketing_links`).
{{ union_systems('marketing_links') }}
