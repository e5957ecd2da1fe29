"""exportSettings: the tenant's settings through the export job (shared.exports). Apart from
service.py so the setting operations, and the domains reading `service.effective`, do not load it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.errors import ValidationFailed
from shared.exports import service as exports

if TYPE_CHECKING:
    from shared.core.actor import Scope


def export_settings(scope: Scope) -> dict:
    """exportSettings: the tenant's client- and user-scope settings as JSON Lines (the system scope is the
    platform's); poll getExportJob for progress and the download URL."""
    if scope.tenant is None:
        raise ValidationFailed("name the client whose settings to export", field="/query/client_id")
    return exports.start(scope, scope.tenant, "exportSettings", what="settings", kinds=("setting",))
