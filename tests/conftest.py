"""Shared fixtures: one local runtime (moto server + gateway + pollers + fakes) per test process."""

from __future__ import annotations

import os

import pytest
import requests

from shared import clock

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
    runtime.logins = seed()
    yield runtime
    runtime.stop()


class Api:
    """A tiny HTTP client for the local gateway: `api.post("/auth/login", json=...)`."""

    def __init__(self, base: str):
        self.base = base
        self.http = requests.Session()

    def __getattr__(self, method):
        def call(path, token=None, **kwargs):
            headers = kwargs.pop("headers", {})
            if token:
                headers["authorization"] = f"Bearer {token}"
            return self.http.request(method.upper(), self.base + path, headers=headers, timeout=30, **kwargs)

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
