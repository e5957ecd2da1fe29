"""clients: the tenants."""
