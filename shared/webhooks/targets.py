"""Where an outbound webhook may go (the SSRF guard), and the one way a delivery reaches it.

A tenant's URL is checked when it is saved and again, on the addresses its host resolves to then, at
every delivery: a name that resolved to a public address when saved may resolve to 127.0.0.1 or to the
metadata service (169.254.169.254) later (DNS rebinding). The request then goes to the address that was
checked (the connection is pinned to it; the Host header and TLS server name stay the URL's), so a
second lookup by the HTTP library cannot answer differently.

Refused in a deployment: any scheme but https, credentials in the URL, and a host with any address that
is not globally routable (private, loopback, link-local, shared, reserved, unspecified) or is multicast.
The local runtime sets WEBHOOK_ALLOW_LOOPBACK, which admits http and loopback addresses for a URL whose
host is written as a loopback address or `localhost` (a receiver on the developer's machine); a name
that resolves to loopback is still refused, since that is what rebinding looks like.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from shared.core import settings

LOOPBACK_NAMES = frozenset({"localhost"})


class TargetRefused(ValueError):
    """The URL or the address its host resolves to may not be called; the message says why."""


class Unresolvable(TargetRefused):
    """The host does not resolve now (DNS may answer again later: a delivery retries it)."""


@dataclass(frozen=True)
class Target:
    """A checked destination: connect to `address`, present `host` (Host header, TLS server name)."""

    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent
    address: str


def loopback_allowed() -> bool:
    return settings.WEBHOOK_ALLOW_LOOPBACK.get().lower() == "true"


def check_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path) of a URL a webhook may be sent to, by its text alone."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as e:
        raise TargetRefused(f"not a valid URL: {e}") from None
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise TargetRefused("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("credentials in the URL are not allowed (the signature authenticates us)")
    local = loopback_allowed() and _written_as_loopback(host)
    if parts.scheme != "https" and not (parts.scheme == "http" and local):
        raise TargetRefused("only https URLs are allowed")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, host, port or (443 if parts.scheme == "https" else 80), path


def resolve(url: str) -> Target:
    """The URL checked, its host resolved now, and every address it resolves to checked: the first one
    is where to connect. TargetRefused when any address may not be called or the host does not resolve."""
    scheme, host, port, path = check_url(url)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise Unresolvable(f"the host {host} does not resolve") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    if not addresses:
        raise Unresolvable(f"the host {host} does not resolve")
    local = loopback_allowed() and _written_as_loopback(host)
    for address in addresses:  # every one: a mix of public and private answers is refused too
        why = _why_refused(ipaddress.ip_address(address.split("%", 1)[0]), local)
        if why:
            raise TargetRefused(f"the host {host} resolves to {address}, {why}")
    return Target(scheme, host, port, path, addresses[0])


def _written_as_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _why_refused(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, loopback_ok: bool) -> str | None:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if ip.is_loopback:
        return None if loopback_ok else "a loopback address"
    if ip.is_unspecified:
        return "the unspecified address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_link_local:
        return "a link-local address (the instance metadata service among them)"
    if ip.is_private:
        return "a private address"
    if not ip.is_global:
        return "not a public address"
    return None


CONNECT_TIMEOUT_S = 3.0
READ_TIMEOUT_S = 10.0
MAX_ANSWER_BYTES = 4096  # of a receiver's answer, read and dropped: only its status matters


def post(target: Target, body: bytes, headers: dict[str, str]) -> int:
    """POST `body` to the checked address of `target` (never following a redirect) and answer the status
    code. Timeouts and connection errors raise urllib3's errors (HTTPError subclasses)."""
    import urllib3

    timeout = urllib3.Timeout(connect=CONNECT_TIMEOUT_S, read=READ_TIMEOUT_S)
    pool: urllib3.HTTPConnectionPool
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(target.address, target.port, timeout=timeout, retries=False, maxsize=1,
                                           server_hostname=target.host, assert_hostname=target.host,
                                           cert_reqs="CERT_REQUIRED")
    else:
        pool = urllib3.HTTPConnectionPool(target.address, target.port, timeout=timeout, retries=False, maxsize=1)
    host = f"[{target.host}]" if ":" in target.host else target.host
    default_port = 443 if target.scheme == "https" else 80
    try:
        answer = pool.urlopen("POST", target.path, body=body, redirect=False, preload_content=False,
                              assert_same_host=False,
                              headers={**headers, "Host": host if target.port == default_port else f"{host}:{target.port}"})
        answer.read(MAX_ANSWER_BYTES)
        answer.release_conn()
        return answer.status
    finally:
        pool.close()
