"""What a tenant's export holds of the audit log: every entry of the tenant, oldest first, last in the file."""

from shared.audit import AuditEntry, view
from shared.db.export import ExportSource
from shared.db.table import tenant_key

SOURCES = (ExportSource("audit", AuditEntry, lambda client_id: tenant_key(client_id, "AUDIT"), render=view,
                        position=100),)
