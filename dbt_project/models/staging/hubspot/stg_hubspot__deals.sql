{{ staged(source('hubspot', 'deals'), columns=hubspot_record_columns('deal_id')) }}
