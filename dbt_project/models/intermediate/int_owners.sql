-- One row per person who can own leads and opportunities, as of the as-of time: name, e-mail,
-- team, time zone (for business-hour SLA clocks), whether active, and since when inactive; of
-- every source system (conformed `owners`). The marts read owners here.
{{ union_systems('owners') }}
