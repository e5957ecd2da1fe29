"""exportClientData: all of a tenant's data through the export job (shared.exports). Apart from
service.py so the client operations (and the decorator's tenant check) do not load the export job."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.clients import store
from shared.exports import service as exports

if TYPE_CHECKING:
    from shared.core.actor import Scope


def export_data(scope: Scope, client_id: str) -> dict:
    """exportClientData. A closed tenant's data can still leave, for the platform (data portability
    after closing)."""
    store.get(client_id, include_deleted=scope.holds("tenants:write"))
    return exports.start(scope, client_id, "exportClientData")
