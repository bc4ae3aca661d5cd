-- What a lead sheet's team got wrong, as findings the controls count (`sheet_*` in the registry):
-- one row per lead row the sheet has ever held (empty for a CRM). A row of tonight's read can
-- have a status whose date the sheet never gave (its stage's time is then only the night it was
-- first seen), dates out of order or after the night (as typed tonight), or an owner the Owners
-- tab lacks, or carry another person's e-mail than when first read (its lead id reused). A row
-- no longer read was deleted; or its id was changed, when its e-mail turns up under a lead id
-- first read on or after the night it went. An MQL with an SLA clock that does not run (a time it
-- needs known only to the night, `int_sla_clocks`) is counted too. Bad cells are the
-- quarantine's (`records_quarantined`).
-- Grain: one row per lead id the sheet has held.
{%- set stage_dates = {'mql': 'mql_stamp', 'accepted': 'accepted_stamp', 'rejected': 'rejected_stamp',
    'sql': 'sql_stamp', 'converted': 'opportunity_stamp'} %}
{%- set order = [('created_at', 'mql_stamp'), ('mql_stamp', 'accepted_stamp'),
    ('mql_stamp', 'rejected_stamp'), ('accepted_stamp', 'sql_stamp'), ('sql_stamp', 'opportunity_stamp')] %}

with versions as (
    select * from {{ ref('sheet__lead_versions') }}
),

latest as (
    select *
    from (
        select
            versions.*,
            row_number() over (partition by versions.lead_id order by versions.version_order desc) as recency
        from versions
    ) as ranked
    where recency = 1
),

firsts as (
    select
        lead_id,
        min(valid_from) as first_seen_at,
        max(case when version_order = 1 then email end) as first_email,
        max(case when status_stage = 'mql' then 1 else 0 end) = 1 as was_mql
    from versions
    group by lead_id
),

lead_rows as (
    select * from {{ ref('sheet__lead_rows') }}
),

dates as (
    select * from {{ ref('sheet__lead_dates') }}
),

owners as (
    select owner_id from {{ ref('sheet__owners') }}
),

renamed as (
    -- a deleted row whose e-mail is on a row first read on or after the night it went
    select distinct gone.lead_id
    from latest as gone
    inner join lead_rows on gone.email = lead_rows.email and gone.lead_id != lead_rows.lead_id
    inner join firsts on lead_rows.lead_id = firsts.lead_id
    where gone.is_deletion and firsts.first_seen_at >= gone.valid_from
),

unmeasured as (
    -- an MQL with an SLA clock that does not run: a time it needs is known only to the night
    select distinct lead_id from {{ ref('int_sla_clocks') }}
    where is_known_to_the_night
)

select
    latest.lead_id,
    firsts.first_seen_at,
    lead_rows.status,
    coalesce(lead_rows.row_number, latest.row_number) as row_number,
    lead_rows.lead_id is not null as is_present,
    coalesce(
        lead_rows.lead_id is not null
        and latest.status_stage in ({{ quoted_list(stage_dates.keys()) }})
        and case latest.status_stage
            {%- for stage, column in stage_dates.items() %}
                when '{{ stage }}' then dates.{{ column | replace('_stamp', '_date') }} is null
            {%- endfor %}
        end,
        false
    ) as is_status_without_date,
    coalesce(
        lead_rows.lead_id is not null and (
            {%- for earlier, later in order %}
                lead_rows.{{ earlier }} > lead_rows.{{ later }} or
            {%- endfor %}
            greatest(
                {%- for column in ['created_at', 'mql_stamp', 'routed_stamp', 'first_touch_stamp', 'accepted_stamp',
                    'rejected_stamp', 'sql_stamp', 'opportunity_stamp'] %}
                    coalesce(lead_rows.{{ column }}, lead_rows.seen_at){% if not loop.last %},{% endif %}
                {%- endfor %}
            ) > lead_rows.seen_at
        ),
        false
    ) as is_dates_out_of_order,
    lead_rows.owner_email is not null as has_owner,
    coalesce(lead_rows.owner_email is not null and owners.owner_id is null, false) as is_owner_unknown,
    latest.is_deletion and renamed.lead_id is null as is_row_deleted,
    renamed.lead_id is not null as is_lead_id_changed,
    coalesce(
        lead_rows.lead_id is not null and lead_rows.email != firsts.first_email, false
    ) as is_lead_id_reused,
    coalesce(dates.mql_date is not null or firsts.was_mql, false) and lead_rows.lead_id is not null as is_mql,
    unmeasured.lead_id is not null as is_sla_unmeasurable
from latest
inner join firsts on latest.lead_id = firsts.lead_id
left join lead_rows on latest.lead_id = lead_rows.lead_id
left join owners on lead_rows.owner_email = owners.owner_id
left join renamed on latest.lead_id = renamed.lead_id
left join dates on latest.lead_id = dates.lead_id
left join unmeasured on latest.lead_id = unmeasured.lead_id
