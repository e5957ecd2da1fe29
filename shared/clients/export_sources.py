"""What a tenant's export holds of the clients domain: the tenant's own client record, first; and
its audit log, oldest first, last. The audit log is declared here, not in shared.audit, because its
day shards start on the tenant's creation day, which only this domain knows."""

from shared import audit
from shared.audit import AuditEntry
from shared.clients.store import Client, client_key
from shared.db.export import ExportSource


def _audit_days(client_id: str) -> list[str]:
    return audit.day_shards(client_id, int(Client.get(client_key(client_id), "CLIENT").created_at))


SOURCES = (ExportSource("client", Client, client_key, position=0),
           ExportSource("audit", AuditEntry, _audit_days, render=audit.view, position=100))
