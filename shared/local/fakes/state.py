"""Everything the fakes remember: credentials, outbox, provider records and pending faults."""

from __future__ import annotations

import copy
import random
import secrets
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

from shared import clock

PROVIDERS = ("twilio", "sendgrid", "nmi")
FAULT_MODES = ("500", "429", "hang", "send_then_500")


@dataclass(frozen=True)
class FakeCredentials:
    """What the fakes accept. Random per instance, so nobody mistakes them for real ones."""

    twilio_account_sid: str = field(default_factory=lambda: "AC" + secrets.token_hex(16))
    twilio_auth_token: str = field(default_factory=lambda: secrets.token_hex(16), repr=False)
    sendgrid_api_key: str = field(default_factory=lambda: "SG." + secrets.token_urlsafe(32), repr=False)
    nmi_security_key: str = field(default_factory=lambda: secrets.token_hex(16), repr=False)


@dataclass
class Fault:
    """The next `count` requests to `provider` misbehave as `mode`."""

    provider: str
    mode: str
    count: int = 1
    retry_after: int = 1  # seconds, for mode "429"
    delay: float = 30.0  # seconds, for mode "hang"

    def __post_init__(self) -> None:
        if self.provider not in PROVIDERS:
            raise ValueError(f"provider must be one of {PROVIDERS}")
        if self.mode not in FAULT_MODES:
            raise ValueError(f"mode must be one of {FAULT_MODES}")
        if self.count < 1:
            raise ValueError("count must be at least 1")


class FakeState:
    """Shared by the server threads; every access goes through `lock`."""

    def __init__(self, credentials: FakeCredentials) -> None:
        self.credentials = credentials
        self.lock = threading.RLock()
        self._outbox: list[dict[str, Any]] = []
        self._faults: list[Fault] = []
        self._random_faults: dict[str, tuple[random.Random, list[tuple[float, Fault]]]] = {}
        # Twilio Message resources by sid, with their bookkeeping (created, sent, callback URL)
        self.messages: dict[str, dict[str, Any]] = {}
        self.transactions: dict[str, dict[str, Any]] = {}  # NMI sales by transaction id
        # Twilio Conversations by sid: the resource, its participants and its messages
        self.conversations: dict[str, dict[str, Any]] = {}
        # Statuses posted to a message's StatusCallback after it is sent, in order (none: only on request)
        self.auto_callbacks: list[str] = []

    def record(
        self,
        provider: str,
        kind: str,
        entry_id: str,
        *,
        to: str | None = None,
        sender: str | None = None,
        body: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Add an accepted message or charge to the outbox."""
        entry = {
            "provider": provider,
            "kind": kind,
            "id": entry_id,
            "to": to,
            "from": sender,
            "body": body,
            "time": clock.now().isoformat(),
            **extra,
        }
        with self.lock:
            self._outbox.append(entry)
        return entry

    def outbox(self, provider: str | None = None) -> list[dict[str, Any]]:
        """Copies of the outbox entries, oldest first, optionally for one provider."""
        with self.lock:
            return [copy.deepcopy(e) for e in self._outbox if provider in (None, e["provider"])]

    def clear(self) -> None:
        """Forget everything sent, stored and pending (credentials stay)."""
        with self.lock:
            self._outbox.clear()
            self._faults.clear()
            self._random_faults.clear()
            self.messages.clear()
            self.transactions.clear()
            self.conversations.clear()

    def add_fault(self, fault: Fault) -> None:
        """Queue a fault behind any already pending for the same provider."""
        with self.lock:
            self._faults.append(fault)

    def faults(self) -> list[dict[str, Any]]:
        """Pending faults with their remaining counts."""
        with self.lock:
            return [asdict(f) for f in self._faults]

    def clear_faults(self) -> None:
        """Drop every pending fault."""
        with self.lock:
            self._faults.clear()

    def take_fault(self, provider: str, method: str = "POST") -> Fault | None:
        """Consume one use of the oldest pending fault for `provider`; with none pending, a POST (a send,
        a create) draws from the provider's random faults, if any."""
        with self.lock:
            for fault in self._faults:
                if fault.provider == provider:
                    fault.count -= 1
                    if fault.count == 0:
                        self._faults.remove(fault)
                    return fault
            drawn = self._random_faults.get(provider)
            if drawn is not None and method == "POST":
                rng, bands = drawn
                roll = rng.random()
                for upto, fault in bands:
                    if roll < upto:
                        return fault
        return None

    def set_random_faults(self, provider: str, rates: dict[str, float], *, seed: int = 0, delay: float = 30.0,
                          retry_after: int = 1) -> None:
        """From now on each POST to `provider` fails as mode m with probability rates[m] (a seeded draw,
        so a run is repeatable); an empty `rates` stops it. Queued faults go first."""
        with self.lock:
            if not rates:
                self._random_faults.pop(provider, None)
                return
            if sum(rates.values()) > 1:
                raise ValueError("the rates add up to more than 1")
            bands, upto = [], 0.0
            for mode, rate in rates.items():
                upto += rate
                bands.append((upto, Fault(provider, mode, 1, retry_after, delay)))
            self._random_faults[provider] = (random.Random(seed), bands)
