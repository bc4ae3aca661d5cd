{{ staged(source('hubspot', 'tasks'), columns=hubspot_record_columns('engagement_id')) }}
