{{ staged(source('hubspot', 'calls'), columns=hubspot_record_columns('engagement_id')) }}
