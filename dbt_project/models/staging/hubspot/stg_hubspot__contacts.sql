{{ staged(source('hubspot', 'contacts'), columns=hubspot_record_columns('contact_id')) }}
