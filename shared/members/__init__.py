"""Members: the tenant's customers (seed section 3), their analytics, privacy requests and imports."""
