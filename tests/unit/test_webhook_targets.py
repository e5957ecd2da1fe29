"""The SSRF guard of outbound webhooks (shared.webhooks.targets) as a deployment runs it, and with the
local runtime's loopback allowance: DNS answers replaced at socket.getaddrinfo for made-up names."""

from __future__ import annotations

import socket

import pytest

from shared.webhooks.targets import TargetRefused, Unresolvable, resolve


@pytest.fixture
def dns(monkeypatch):
    answers: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            return [info for address in answers[host] for info in real(address, port, *args, **kwargs)]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


@pytest.fixture
def deployed(monkeypatch):
    monkeypatch.setenv("WEBHOOK_ALLOW_LOOPBACK", "false")


@pytest.fixture
def local(monkeypatch):
    monkeypatch.setenv("WEBHOOK_ALLOW_LOOPBACK", "true")


@pytest.mark.parametrize(("url", "why"), [
    ("http://127.0.0.1:8080/hooks", "only https"),
    ("https://127.0.0.1/hooks", "loopback"),
    ("https://localhost/hooks", "loopback"),
    ("https://[::1]/hooks", "loopback"),
    ("https://[::ffff:127.0.0.1]/hooks", "loopback"),
    ("https://169.254.169.254/latest/meta-data/", "link-local"),
    ("https://[fe80::1]/hooks", "link-local"),
    ("https://172.16.0.1/hooks", "private"),
    ("https://[fd00::1]/hooks", "private"),
    ("https://0.0.0.0/hooks", "unspecified"),
    ("https://100.64.0.1/hooks", "not a public address"),
    ("https://239.1.2.3/hooks", "multicast"),
])
def test_a_deployment_refuses(deployed, url, why):
    with pytest.raises(TargetRefused, match=why):
        resolve(url)


def test_a_public_address_is_called_where_it_was_checked(deployed, dns):
    dns["hooks.example.test"] = ["93.184.215.14"]
    target = resolve("https://hooks.example.test:8443/in?x=1")
    assert (target.host, target.port, target.path, target.address) == ("hooks.example.test", 8443, "/in?x=1",
                                                                       "93.184.215.14")


def test_one_private_answer_among_public_ones_refuses_the_name(deployed, dns):
    dns["mixed.example.test"] = ["93.184.215.14", "10.0.0.1"]
    with pytest.raises(TargetRefused, match="10.0.0.1, a private address"):
        resolve("https://mixed.example.test/")


def test_a_name_that_does_not_resolve_is_retryable(deployed):
    with pytest.raises(Unresolvable):
        resolve("https://nothing-here.invalid/")


def test_the_local_allowance_admits_loopback_written_as_such_only(local, dns):
    assert resolve("http://127.0.0.1:9999/hooks").address == "127.0.0.1"
    assert resolve("http://localhost:9999/hooks").address in ("127.0.0.1", "::1")
    dns["rebind.example.test"] = ["127.0.0.1"]
    with pytest.raises(TargetRefused, match="loopback"):
        resolve("https://rebind.example.test/hooks")
    with pytest.raises(TargetRefused, match="only https"):
        resolve("http://rebind.example.test/hooks")
    with pytest.raises(TargetRefused, match="link-local"):
        resolve("https://169.254.169.254/")
