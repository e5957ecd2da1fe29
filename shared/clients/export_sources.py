"""What a tenant's export holds of the clients domain: the tenant's own client record, first."""

from shared.clients.store import Client, client_key
from shared.db.export import ExportSource

SOURCES = (ExportSource("client", Client, client_key, position=0),)
