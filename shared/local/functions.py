"""Discovering function modules and their declared specs (offline: CLI, template, OpenAPI, bench)."""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shared.api.spec import FunctionSpec

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class FunctionModule:
    path: Path  # functions/<domain>/<module>.py
    domain: str
    module: str  # importable name: functions.<domain>.<module>
    handler: str  # Lambda handler relative to CodeUri functions/: <domain>/<module>.handler
    spec: FunctionSpec

    @property
    def logical_id(self) -> str:
        return self.spec.name[0].upper() + self.spec.name[1:] + "Function"

    @property
    def role_domain(self) -> str:
        """The domain whose role and log group the function uses (the authorizer has its own)."""
        name = "authorizer" if self.spec.kind == "authorizer" else self.domain
        return "".join(w.capitalize() for w in name.split("_"))


def discover(root: Path = ROOT, package: str = "functions") -> list[FunctionModule]:
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    found = []
    for path in sorted((root / package).glob("*/*.py")):
        if path.name == "__init__.py":
            continue
        domain = path.parent.name
        module = f"{package}.{domain}.{path.stem}"
        handler = importlib.import_module(module).handler
        found.append(FunctionModule(path.relative_to(root), domain, module,
                                    f"{domain}/{path.stem}.handler", handler.spec))
    return found
