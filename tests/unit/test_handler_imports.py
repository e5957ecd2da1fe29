"""Importing a handler, as a cold start does, loads no provider SDK, crypto or X-Ray SDK unless the
handler is exempt (the auth flows). The rule is the one pyproject.toml states for import-linter
(`forbidden_at_import`); here it is checked against what a fresh interpreter really loads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Imports the handlers in turn and stops at the first that loaded a forbidden package: whatever it
# loaded stays loaded, so the handlers after it could not be told apart in this interpreter.
PROBE = r"""
import importlib, json, sys
forbidden, handlers = set(json.loads(sys.argv[1])), json.loads(sys.argv[2])
for i, name in enumerate(handlers):
    importlib.import_module(name)
    loaded = sorted({m.partition(".")[0] for m in sys.modules} & forbidden)
    if loaded:
        print(json.dumps({"at": i, "handler": name, "loaded": loaded}))
        break
else:
    print(json.dumps({"at": len(handlers)}))
"""


def _rule() -> dict:
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    [rule] = [c for c in contracts if c["type"] == "forbidden_at_import"]
    return rule


def _handlers(rule: dict) -> list[str]:
    def exempt(module: str) -> bool:
        return any(module == e or module.startswith(e + ".") for e in rule["exempt_modules"])

    found = []
    for source in rule["source_modules"]:
        base = ROOT.joinpath(*source.split("."))
        found += [".".join(p.relative_to(ROOT).with_suffix("").parts) for p in sorted(base.glob("*/*.py"))
                  if p.name != "__init__.py"]
    return [m for m in found if not exempt(m)]


def _first_offender(forbidden: list[str], handlers: list[str]) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(forbidden), json.dumps(handlers)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_no_handler_but_the_exempt_loads_a_provider_sdk_or_crypto_at_import():
    rule = _rule()
    handlers = _handlers(rule)
    assert len(handlers) >= 30 and not any(h.startswith("functions.auth.") for h in handlers)
    offenders = {}
    while handlers:  # one interpreter for all, a fresh one after each offender
        result = _first_offender(rule["forbidden_modules"], handlers)
        if "handler" in result:
            offenders[result["handler"]] = result["loaded"]
        handlers = handlers[result["at"] + 1:]
    assert offenders == {}


def test_the_probe_sees_a_handler_that_loads_one(tmp_path):
    """The check itself: a module that loads `decimal` at import is caught when `decimal` is forbidden,
    one that defers it to a function is not."""
    (tmp_path / "eager.py").write_text("import decimal\n")
    (tmp_path / "lazy.py").write_text("def f():\n    import decimal\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(["decimal"]), json.dumps(["lazy", "eager"])],
                          env=env, capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(done.stdout) == {"at": 1, "handler": "eager", "loaded": ["decimal"]}


def test_the_jwks_handler_loads_no_database_model_or_password_hashing_at_import():
    """getJwks answers from a parameter alone: its cold start carries no PynamoDB models, table code,
    sessions or argon2 (only the decorator's PynamoDB exception class)."""
    probe = ("import json, sys, functions.keys.get_jwks\n"
             "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('pynamodb', 'argon2', 'shared.')))))")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=True)
    loaded = set(json.loads(done.stdout))
    assert "shared.security.tokens" in loaded  # the probe sees the handler's own imports
    heavy = {m for m in loaded if m.startswith(("pynamodb.models", "pynamodb.connection", "argon2", "shared.db",
                                                "shared.auth.store", "shared.auth.service", "shared.users"))}
    assert heavy == set()
