"""What each domain declares by convention, found without a list: `shared.<domain>.<convention>`.

A domain says what it projects from the table's stream in `shared/<domain>/projections.py` and what
it adds to a tenant's export in `shared/<domain>/export_sources.py`. The code that needs those
declarations imports every such module at first use, so a new domain or entity edits no list
elsewhere. Subpackages are looked through on the file system: one without the module is not imported.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from types import ModuleType


def domain_modules(convention: str, package: str = "shared") -> list[ModuleType]:
    """Import `<package>.<sub>.<convention>` for every subpackage `<sub>` that has it, in name order.

    The order is stable from one invocation to the next (the export worker resumes by it). A module of
    the mechanism itself with the convention's name (shared.db.projections) is imported like any other:
    it is loaded already, so that costs nothing."""
    root = importlib.import_module(package)
    found = []
    for info in sorted(pkgutil.iter_modules(root.__path__), key=lambda i: i.name):
        if not info.ispkg:
            continue
        where = os.path.join(info.module_finder.path, info.name)  # type: ignore[union-attr]
        if any(m.name == convention for m in pkgutil.iter_modules([where])):
            found.append(importlib.import_module(f"{package}.{info.name}.{convention}"))
    return found


def declared_sources(convention: str, what: str) -> list:
    """Every `SOURCES` entry of the domains' `<convention>` modules, in module order; each `kind` once
    (a kind declared twice is refused, naming it)."""
    found = [s for module in domain_modules(convention) for s in module.SOURCES]
    kinds = [s.kind for s in found]
    duplicated = sorted({k for k in kinds if kinds.count(k) > 1})
    if duplicated:
        raise ValueError(f"{what} kinds declared twice: {duplicated}")
    return found


def item_models(package: str = "shared", skip: tuple[str, ...] = ("shared.local",)) -> list[type]:
    """Every stored model (`Item` subclass) of `package`, after importing each of its modules but those
    under `skip`. For tests and tools: no request path imports everything."""
    from shared.db.table import Item

    pending = [importlib.import_module(package)]
    while pending:
        parent = pending.pop()
        for info in pkgutil.iter_modules(parent.__path__, prefix=parent.__name__ + "."):
            if any(info.name == s or info.name.startswith(s + ".") for s in skip):
                continue
            module = importlib.import_module(info.name)
            if info.ispkg:
                pending.append(module)
    found, todo = set(), [Item]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                todo.append(sub)
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")
