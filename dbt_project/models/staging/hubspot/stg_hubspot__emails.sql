{{ staged(source('hubspot', 'emails'), columns=hubspot_record_columns('engagement_id')) }}
