"""Shared fixtures: one local runtime (moto server + gateway + pollers + fakes) per test process."""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
from pathlib import Path

import pytest
import requests

from shared import clock
from tests.addresses import session_from

# Unit tests must never reach a real AWS account, whatever the machine has configured.
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.pop("AWS_PROFILE", None)
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")


@pytest.fixture(scope="session")
def local():
    """The product's runtime, seeded with the demo tenant."""
    from shared.local.runtime import Runtime
    from shared.local.seed import seed

    runtime = Runtime().start()
    runtime.logins = seed(members=0)  # the demo members cost ~15 s; tests make their own
    yield runtime
    _seen["stored"] = _stored_secrets(runtime)
    runtime.stop()


class Api:
    """A tiny HTTP client for the local gateway: `api.post("/auth/login", json=...)`;
    `api.from_address("127.4.5.6")` is the same client calling from another source IP."""

    def __init__(self, base: str, source_address: str | None = None):
        self.base = base
        self.http = session_from(source_address) if source_address else requests.Session()

    def from_address(self, address: str) -> Api:
        return Api(self.base, address)

    def __getattr__(self, method):
        def call(path, token=None, **kwargs):
            headers = kwargs.pop("headers", {})
            if token:
                headers["authorization"] = f"Bearer {token}"
            response = self.http.request(method.upper(), self.base + path, headers=headers, timeout=30, **kwargs)
            remember(response, kwargs.get("json"))
            return response

        return call


@pytest.fixture(scope="session")
def api(local):
    return Api(local.url)


@pytest.fixture(autouse=True)
def _reset_clock():
    clock.reset()
    yield
    clock.reset()


@pytest.fixture
def login(api, local):
    """login(role) → the token pair answer for a seeded account."""

    def do(role: str = "admin", **extra):
        creds = local.logins[role]
        r = api.post("/auth/login", json={"email": creds["email"], "password": creds["password"], **extra})
        assert r.status_code == 200, r.text
        return r.json()

    return do


@pytest.fixture
def admin(login):
    """The seeded tenant admin's token pair."""
    return login("admin")


# --- Secrets never leak: every response and log line of the run is kept and grepped at the end ---

SECRET_FIELDS = ("password", "new_password", "current_password")
_seen = {"responses": [], "logs": [], "secrets": set(), "exempt": set()}


class _KeepLogs(logging.Handler):
    def emit(self, record):
        try:
            _seen["logs"].append(json.dumps(record.__dict__, default=str) + record.getMessage())
        except Exception:  # noqa: BLE001 - a record we cannot render cannot leak either
            pass


def pytest_configure(config):
    # One handler per logger: Powertools filters its own records out of the root's handlers.
    for name in ("", "echelonx", "botocore", "python_http_client", "twilio", "moto", "werkzeug"):
        logging.getLogger(name).addHandler(_KeepLogs(level=logging.DEBUG))


def remember(response, body):
    """Called for every API answer: keep the answer and the secrets the request carried."""
    if isinstance(body, dict):
        for name in SECRET_FIELDS:
            if isinstance(body.get(name), str):
                _seen["secrets"].add(body[name])
    text = response.text
    if response.request.path_url.endswith("/two-factor") and response.status_code == 200:
        _seen["secrets"].add(response.json()["secret"])  # handed over once, by design, in this answer
        _seen["exempt"].add(len(_seen["responses"]))
    if "/webhook-endpoints" in response.request.path_url and response.status_code in (200, 201):
        secret = response.json().get("secret")  # a webhook signing secret: shown once, in this answer
        if secret:
            _seen["secrets"].add(secret)
            _seen["exempt"].add(len(_seen["responses"]))
    _seen["responses"].append(text + json.dumps(dict(response.headers)))


# --- Least privilege: every process records which grants its roles' calls used; the run prints the rest ---

IAM_USAGE = Path(__file__).resolve().parents[1] / ".build" / "iam-usage"


def _is_worker(config) -> bool:
    return hasattr(config, "workerinput")


# The longest files, collected first: under `--dist loadfile --no-loadscope-reorder` (xdist otherwise puts the
# files with the most tests first) each then starts on a worker at once and the rest fill in around them,
# instead of the two longest starting last and running alone at the end.
LONGEST_FIRST = ("tests/integration/test_rights.py", "tests/local/test_fault_run.py",
                 "tests/integration/test_send_pacing.py", "tests/local/test_dev_command.py", "tests/local/test_runtime.py")


def pytest_collection_modifyitems(session, config, items):
    def rank(item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: every file keeps its own order


def pytest_sessionstart(session):
    if not _is_worker(session.config):  # the controller, before any worker starts: this run's report only
        shutil.rmtree(IAM_USAGE, ignore_errors=True)


def pytest_terminal_summary(terminalreporter, config):
    from shared.local.iam import usage

    snapshots = usage.read(IAM_USAGE) if IAM_USAGE.exists() else []
    if snapshots and not _is_worker(config):
        terminalreporter.write_sep("-", "IAM grants no call used")
        terminalreporter.write_line(usage.render(snapshots))


def pytest_sessionfinish(session, exitstatus):
    enforced = sys.modules.get("shared.local.iam")  # loaded only when a runtime ran in this process
    if enforced is not None:
        from shared.local.iam import usage

        usage.write(IAM_USAGE / f"{os.getpid()}.json", enforced.every_role)
    if "stored" not in _seen:
        return
    secrets = set(_seen["secrets"]) | _seen["stored"]
    secrets = {s for s in secrets if s and len(s) >= 8}
    leaks = []
    for i, text in enumerate(_seen["responses"]):
        if i not in _seen["exempt"]:
            leaks += [f"response #{i} contains {s[:4]}…" for s in secrets if s in text]
    for line in _seen["logs"]:
        leaks += [f"log line contains {s[:4]}…: {line[:120]}" for s in secrets if s in line]
    print(f"\nsecrets check: {len(secrets)} secrets against {len(_seen['responses'])} responses "
          f"and {len(_seen['logs'])} log lines: {len(leaks)} leaks")
    if leaks:
        print("\n".join(leaks[:20]))
        session.exitstatus = 1


def _stored_secrets(runtime) -> set[str]:
    """The stored values of every field a model declares secret (`secret_fields`: password and token
    hashes, sealed TOTP secrets...) and the emailed tokens of this run (read from the table and the fake outbox)."""
    import re
    from itertools import chain

    from shared.db.discovery import item_models
    from shared.local import moto_txn

    names = set().union(*(model.secret_fields for model in item_models()))

    def secrets(attrs: dict) -> list[str] | None:
        values = [attrs[name] for name in names & set(attrs)]
        return [v for value in values for v in (value.value if value.type == "SS" else [value.value])] or None

    # Read in moto's table in this process: a Scan of a worker's table through the API took 35-40 s.
    found = set(chain.from_iterable(moto_txn.picked(runtime.aws.names["Table"], secrets) or []))
    if getattr(runtime, "provider_fakes", None):
        for mail in runtime.provider_fakes.outbox("sendgrid"):
            found.update(re.findall(r"token=([\w.\-]+)", mail.get("body") or ""))
    return found

