"""exportCommunications: the tenant's communications through the export job (shared.exports). Apart from
service.py so the communication operations do not load the export machinery."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shared.exports import service as exports

if TYPE_CHECKING:
    from shared.core.actor import Scope


def export_communications(scope: Scope, q: Any) -> dict:
    """exportCommunications: every communication of the tenant, oldest first, as JSON Lines or CSV (a
    header row, then one row each); poll getExportJob for progress and the download URL."""
    return exports.start(scope, scope.tenant_required(), "exportCommunications", what="communications",
                         kinds=("communication",), file_format=q.format)
