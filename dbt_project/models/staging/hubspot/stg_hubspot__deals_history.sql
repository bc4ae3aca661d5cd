{{ staged(source('hubspot', 'deals_history'), columns=hubspot_history_columns()) }}
