-- Campaign memberships that count at the as-of time: which lead, which campaign, whether it
-- responded, when it was created; of every source system (conformed `campaign_members`).
{{ union_systems('campaign_members') }}
