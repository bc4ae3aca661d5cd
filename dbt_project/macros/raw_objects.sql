{#
    The source objects the night lands in raw, as (system, raw table, version stamp, staging
    model): what the audit models reconcile and count. The stamp is none where the object has
    none (a reference list versioned by content).
#}
{% macro raw_objects() %}
    {{ return([
        ('salesforce', 'user', 'SystemModstamp', 'stg_salesforce__users'),
        ('salesforce', 'group', 'SystemModstamp', 'stg_salesforce__groups'),
        ('salesforce', 'account', 'SystemModstamp', 'stg_salesforce__accounts'),
        ('salesforce', 'lead', 'SystemModstamp', 'stg_salesforce__leads'),
        ('salesforce', 'leadhistory', 'CreatedDate', 'stg_salesforce__lead_history'),
        ('salesforce', 'opportunity', 'SystemModstamp', 'stg_salesforce__opportunities'),
        ('salesforce', 'opportunityhistory', 'CreatedDate', 'stg_salesforce__opportunity_history'),
        ('salesforce', 'datedconversionrate', 'SystemModstamp', 'stg_salesforce__dated_conversion_rates'),
        ('salesforce', 'task', 'SystemModstamp', 'stg_salesforce__tasks'),
        ('salesforce', 'campaign', 'SystemModstamp', 'stg_salesforce__campaigns'),
        ('salesforce', 'campaignmember', 'SystemModstamp', 'stg_salesforce__campaign_members'),
        ('marketo', 'leads', 'updatedAt', 'stg_marketo__leads'),
        ('marketo', 'activities', 'activityDate', 'stg_marketo__activities'),
        ('marketo', 'activity_types', none, 'stg_marketo__activity_types'),
        ('marketo', 'programs', 'updatedAt', 'stg_marketo__programs'),
    ]) }}
{% endmacro %}
