"""All routes in one Lambda: every handler module of functions/ imported up front, one router.

Nothing deploys this. `echelonx bench` imports it in a child process to weigh one function per
operation against one function for all routes (architecture.md, Budgets). It lists the files with
`os` alone so that the measurement is the handlers' imports, not a discovery library's.
"""

from __future__ import annotations

import importlib
import os

_FUNCTIONS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "functions")


def _module_names() -> list[str]:
    # The same modules as shared.local.functions.discover(): functions/<domain>/<module>.py.
    names = []
    for domain in sorted(os.listdir(_FUNCTIONS)):
        folder = os.path.join(_FUNCTIONS, domain)
        if not os.path.isdir(folder):
            continue
        names += [f"functions.{domain}.{name[:-3]}" for name in sorted(os.listdir(folder))
                  if name.endswith(".py") and name != "__init__.py"]
    return names


HANDLERS = {name: importlib.import_module(name).handler for name in _module_names()}
ROUTES = {f"{h.spec.method} {h.spec.route}": h for h in HANDLERS.values() if h.spec.kind == "api"}


def handler(event: dict, context=None):
    """Route an HTTP API v2 event by its routeKey, as an in-function router would."""
    route = ROUTES.get(event.get("routeKey", ""))
    if route is None:
        return {"statusCode": 404, "headers": {"content-type": "application/json"},
                "body": '{"message":"Not Found"}'}
    return route(event, context)
