"""What a tenant's export holds of the users domain: every user of the tenant, live ones then the
soft-deleted (their own list partition), as the API shows them (no password hash, token or TOTP secret)."""

from shared.db.export import ExportSource
from shared.db.table import tenant_key
from shared.entity import DELETED
from shared.users.store import User

SOURCES = (ExportSource("user", User, lambda client_id: (tenant_key(client_id, "USERS"),
                                                         tenant_key(client_id, "USERS", DELETED)), index="GSI1"),)
