"""What a tenant's export holds of the settings domain: its client-scope and users' settings (GSI1, one
partition), as the API shows them; the system scope is the platform's, never a tenant's. A value shaped
like a credential (which setSetting refuses) is redacted all the same."""

from shared.audit import REDACTED
from shared.db.export import ExportSource
from shared.settings.catalogue import looks_secret
from shared.settings.store import Setting, tenant_partition


def _render(item: Setting) -> dict:
    line = item.public()
    if looks_secret(item.setting_key, item.value):
        line["value"] = REDACTED
    return line


SOURCES = (ExportSource("setting", Setting, tenant_partition, index="GSI1", render=_render, position=60),)
