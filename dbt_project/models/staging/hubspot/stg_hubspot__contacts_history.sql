{{ staged(source('hubspot', 'contacts_history'), columns=hubspot_history_columns()) }}
