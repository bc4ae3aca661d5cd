{#
    The source objects the night lands in raw, as (system, raw table, version stamp, creation
    field, staging model): what `staged` reads each object's fields from, and what the audit
    models reconcile and count.
    * stamp: the field that orders a record's versions; staging keeps each record's state at the
      as-of. None where staging keeps every row received: a reference list versioned by content,
      and the field histories, which are the evidence a record read after the as-of is rolled
      back with (docs/lifecycle.md, "A moving source"); their readers apply the as-of.
    * creation field: a record created at or before the as-of whose every version came after it
      (the source holds only its latest version) is staged from its earliest version after the
      as-of, flagged `_read_after_as_of`. None for rows that exist once their stamp has passed.
#}
{% macro raw_objects() %}
    {{ return([
        ('salesforce', 'user', 'SystemModstamp', 'CreatedDate', 'stg_salesforce__users'),
        ('salesforce', 'group', 'SystemModstamp', 'CreatedDate', 'stg_salesforce__groups'),
        ('salesforce', 'account', 'SystemModstamp', 'CreatedDate', 'stg_salesforce__accounts'),
        ('salesforce', 'lead', 'SystemModstamp', 'CreatedDate', 'stg_salesforce__leads'),
        ('salesforce', 'leadhistory', none, none, 'stg_salesforce__lead_history'),
        ('salesforce', 'opportunity', 'SystemModstamp', 'CreatedDate', 'stg_salesforce__opportunities'),
        ('salesforce', 'opportunityhistory', none, none, 'stg_salesforce__opportunity_history'),
        ('salesforce', 'datedconversionrate', 'SystemModstamp', 'CreatedDate', 'stg_salesforce__dated_conversion_rates'),
        ('salesforce', 'task', 'SystemModstamp', 'CreatedDate', 'stg_salesforce__tasks'),
        ('salesforce', 'campaign', 'SystemModstamp', 'CreatedDate', 'stg_salesforce__campaigns'),
        ('salesforce', 'campaignmember', 'SystemModstamp', 'CreatedDate', 'stg_salesforce__campaign_members'),
        ('marketo', 'leads', 'updatedAt', 'createdAt', 'stg_marketo__leads'),
        ('marketo', 'activities', 'activityDate', none, 'stg_marketo__activities'),
        ('marketo', 'activity_types', none, none, 'stg_marketo__activity_types'),
        ('marketo', 'programs', 'updatedAt', 'createdAt', 'stg_marketo__programs'),
        ('hubspot', 'owners', 'updatedAt', 'createdAt', 'stg_hubspot__owners'),
        ('hubspot', 'contacts', 'updatedAt', 'createdAt', 'stg_hubspot__contacts'),
        ('hubspot', 'contacts_history', none, none, 'stg_hubspot__contacts_history'),
        ('hubspot', 'deals', 'updatedAt', 'createdAt', 'stg_hubspot__deals'),
        ('hubspot', 'deals_history', none, none, 'stg_hubspot__deals_history'),
        ('hubspot', 'calls', 'updatedAt', 'createdAt', 'stg_hubspot__calls'),
        ('hubspot', 'emails', 'updatedAt', 'createdAt', 'stg_hubspot__emails'),
        ('hubspot', 'meetings', 'updatedAt', 'createdAt', 'stg_hubspot__meetings'),
        ('hubspot', 'tasks', 'updatedAt', 'createdAt', 'stg_hubspot__tasks'),
        ('hubspot', 'associations', 'createdAt', none, 'stg_hubspot__associations'),
        ('hubspot', 'exchange_rates', 'updatedAt', 'createdAt', 'stg_hubspot__exchange_rates'),
        ('hubspot', 'pipelines', none, none, 'stg_hubspot__pipelines'),
        ('hubspot', 'account', none, none, 'stg_hubspot__account'),
        ('sheet', 'leads', '_night', none, 'stg_sheet__leads'),
        ('sheet', 'owners', '_night', none, 'stg_sheet__owners'),
        ('sheet', 'rates', '_night', none, 'stg_sheet__rates'),
    ]) }}
{% endmacro %}

{# The `raw_objects` entry of a raw relation (a `source()`), as a mapping (while parsing, when
   `source()` is not resolved yet, an empty one). #}
{% macro raw_object(raw_relation) %}
    {%- if not execute %}
        {{ return({'stamp': none, 'created': none}) }}
    {%- endif %}
    {%- for system, table, stamp, created, staging_model in raw_objects() %}
        {%- if raw_relation.schema == 'raw_' ~ system and (raw_relation.identifier | lower) == table %}
            {{ return({'system': system, 'table': table, 'stamp': stamp, 'created': created}) }}
        {%- endif %}
    {%- endfor %}
    {{ exceptions.raise_compiler_error('no raw_objects() entry for ' ~ raw_relation) }}
{% endmacro %}
