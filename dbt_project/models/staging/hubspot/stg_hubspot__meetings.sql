{{ staged(source('hubspot', 'meetings'), columns=hubspot_record_columns('engagement_id')) }}
