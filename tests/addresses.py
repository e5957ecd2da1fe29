"""Calling the local gateway from an address of one's own: all of 127.0.0.0/8 is this machine, and
the gateway reports the TCP peer as `requestContext.http.sourceIp` (as API Gateway does), so a test
of per-address limits neither spends nor inherits other tests' budget on 127.0.0.1."""

from __future__ import annotations

import secrets

import requests
from requests.adapters import HTTPAdapter


class _FromAddress(HTTPAdapter):
    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def fresh_loopback() -> str:
    """A loopback address no other test is likely to use."""
    return "127." + ".".join(str(1 + secrets.randbelow(254)) for _ in range(3))


def session_from(address: str) -> requests.Session:
    """A requests session whose connections leave from `address`."""
    session = requests.Session()
    session.mount("http://", _FromAddress(address))
    return session
