"""The fakes' control API under /_fake/: outbox, fault injection and Twilio status callbacks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .twilio_callbacks import CallbackError
from .wire import FakeRequest, Reply, first, json_reply

if TYPE_CHECKING:
    from collections.abc import Callable

    from .providers import ProviderFakes

_FAULT_FIELDS = ("provider", "mode", "count", "retry_after", "delay")


def handle(fakes: ProviderFakes, request: FakeRequest) -> Reply:
    """Route one control request."""
    route = _ROUTES.get((request.method, request.path))
    if route is None:
        return json_reply(404, {"error": f"no control endpoint {request.method} {request.path}"})
    try:
        return route(fakes, request)
    except CallbackError as exc:
        return json_reply(exc.status, {"error": str(exc)})
    except (ValueError, TypeError, KeyError) as exc:  # unparsable JSON or a missing/invalid field
        return json_reply(400, {"error": f"{type(exc).__name__}: {exc}"})


def _outbox(fakes: ProviderFakes, request: FakeRequest) -> Reply:
    return json_reply(200, fakes.outbox(first(request.query, "provider") or None))


def _clear(fakes: ProviderFakes, request: FakeRequest) -> Reply:
    fakes.clear()
    return Reply(204)


def _faults(fakes: ProviderFakes, request: FakeRequest) -> Reply:
    return json_reply(200, fakes.state.faults())


def _add_fault(fakes: ProviderFakes, request: FakeRequest) -> Reply:
    body = _object(request)
    fakes.inject_fault(**{name: body[name] for name in _FAULT_FIELDS if name in body})
    return json_reply(201, fakes.state.faults())


def _clear_faults(fakes: ProviderFakes, request: FakeRequest) -> Reply:
    fakes.state.clear_faults()
    return Reply(204)


def _callback(fakes: ProviderFakes, request: FakeRequest) -> Reply:
    body = _object(request)
    result = fakes.send_status_callback(str(body["sid"]), str(body["status"]), body.get("error_code"))
    return json_reply(200, result)


def _object(request: FakeRequest) -> dict[str, Any]:
    body = request.json()
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object")
    return body


_ROUTES: dict[tuple[str, str], Callable[[ProviderFakes, FakeRequest], Reply]] = {
    ("GET", "/_fake/outbox"): _outbox,
    ("DELETE", "/_fake/outbox"): _clear,
    ("GET", "/_fake/faults"): _faults,
    ("POST", "/_fake/faults"): _add_fault,
    ("DELETE", "/_fake/faults"): _clear_faults,
    ("POST", "/_fake/twilio/callback"): _callback,
}
