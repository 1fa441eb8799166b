project_id = "orders-prod-4821"
