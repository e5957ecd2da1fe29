"""Pacing through the gateway: senders declared in `messaging.senders`, sends booked per clock second in the
sender's bucket, and what the provider sees, counted at the Twilio fake by the shared clock's time of each
message it took.

The clock is frozen half-way through a second and moved a second at a time: the queue's delays are on it,
so 100 s of sending take a few dozen seconds of wall time, and every send happens at a step, where the
fake stamps it."""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime

import pytest

from shared import clock
from shared.ids import new_id

PASSWORD = "correct-horse-battery"
TOLL_FREE = "+18005550100"
SHARED = "+18885550111"


def _login(api, email, password=PASSWORD):
    r = api.post("/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


@pytest.fixture(scope="module")
def sa(api, local):
    creds = local.logins["super_admin"]
    return _login(api, creds["email"], creds["password"])


def _tenant(api, sa, senders: list[dict]) -> dict:
    r = api.post("/clients", token=sa, json={"name": f"Paced Co {new_id()}", "subscription_tier": "premium"})
    assert r.status_code == 201, r.text
    client_id = r.json()["id"]
    email = f"admin-{new_id().lower()}@paced.example"
    r = api.post("/users", token=sa, json={"email": email, "role": "admin", "password": PASSWORD,
                                           "client_id": client_id})
    assert r.status_code == 201, r.text
    token = _login(api, email)
    for key, value in (("messaging.quiet_hours", {}), ("messaging.senders", senders)):
        r = api.put("/settings", token=token, json={"key": key, "value": value})
        assert r.status_code == 200, r.text
    return {"id": client_id, "email": email}


def _bulk(api, token, sender: str, run: str, n: int) -> None:
    for start in range(0, n, 100):
        entries = [{"channel": "sms", "to_number": f"+1415555{i % 10000:04d}", "from_number": sender,
                    "content": f"paced {run} {i}"} for i in range(start, min(n, start + 100))]
        r = api.post("/communications/bulk", token=token, json={"communications": entries})
        assert r.status_code == 200 and r.json()["succeeded"] == len(entries), r.text


def _taken(fakes, *runs: str) -> list[dict]:
    return [m for m in fakes.outbox("twilio") if m["body"].split(" ")[1:2] in ([r] for r in runs)]


def _at_s(message: dict) -> float:
    return datetime.fromisoformat(message["time"]).timestamp()


def _drive(local, fakes, runs: tuple[str, ...], n: int, max_steps: int) -> list[dict]:
    """Move the frozen clock a second at a time until the fake has taken `n` of these runs' messages (nothing
    here waits past 15 minutes, so nothing is parked for the sweeper)."""
    for _ in range(max_steps):
        local.poller.settle("sqs")
        if len(_taken(fakes, *runs)) >= n:
            break
        clock.advance(1)
    return _taken(fakes, *runs)


def _most_in_any_second(times: list[float]) -> int:
    """The most sends in any one-second window [t, t + 1) of the clock (each window starting at a send)."""
    times = sorted(times)
    most, j = 0, 0
    for i, start in enumerate(times):
        j = max(j, i)
        while j < len(times) and times[j] < start + 1:
            j += 1
        most = max(most, j - i)
    return most


@pytest.fixture
def frozen():
    clock.freeze((clock.now_ms() // 1000) * 1000 + 500)  # half-way through a second
    yield
    clock.reset()


@pytest.mark.slow  # 1,000 sends and their deferrals: minutes of the runtime's work
def test_1000_messages_from_a_toll_free_sender_are_never_offered_faster_than_its_rate(api, sa, local, frozen):
    fakes = local.provider_fakes
    fakes.state.clear_faults()
    tenant = _tenant(api, sa, [{"address": TOLL_FREE, "sender_class": "toll_free", "rate": 10}])
    token, run = _login(api, tenant["email"]), new_id()
    started_wall, started = time.monotonic(), clock.now_ms() / 1000
    _bulk(api, token, TOLL_FREE, run, 1000)
    taken = _drive(local, fakes, (run,), 1000, 130)
    wall = time.monotonic() - started_wall

    assert len(taken) == 1000 and len({m["body"] for m in taken}) == 1000  # every one, once
    times = [_at_s(m) for m in taken]
    assert _most_in_any_second(times) <= 10
    per_second = Counter(int(t) for t in times)
    assert max(per_second.values()) == 10  # at the rate, not below it
    assert 99 <= max(times) - started < 101  # 1,000 at 10/s: 100 s of the clock, no more
    # No sleeping: the wall time is the runtime's work for 1,000 sends and their deferrals (README: figures).
    print(f"1,000 paced sends: {max(times) - started:.0f} s of the clock in {wall:.0f} s of wall time")

    # Waiting used up no attempt: each went at its first, through one take.
    token = _login(api, tenant["email"])
    r = api.get("/communications", token=token, params={"limit": 100, "status": "sent"})
    assert r.status_code == 200, r.text
    for comm in r.json()["items"]:
        assert comm["retry_count"] == 0
        assert [h["status"] for h in comm["status_history"]] == ["queued", "sending", "sent"]


def test_two_tenants_on_one_shared_sender_each_get_half(api, sa, local, frozen):
    fakes = local.provider_fakes
    fakes.state.clear_faults()
    declared = [{"address": SHARED, "sender_class": "toll_free", "rate": 10, "shared": True}]
    big, small = _tenant(api, sa, declared), _tenant(api, sa, declared)
    big_run, small_run = new_id(), new_id()
    _bulk(api, _login(api, big["email"]), SHARED, big_run, 300)  # the big tenant's backlog is queued first
    _bulk(api, _login(api, small["email"]), SHARED, small_run, 100)
    taken = _drive(local, fakes, (big_run, small_run), 400, 80)
    assert len(taken) == 400

    times = [_at_s(m) for m in taken]
    assert _most_in_any_second(times) <= 10  # the sender's rate, whichever tenants use it
    small_times = [_at_s(m) for m in taken if m["body"].split(" ")[1] == small_run]
    first, last = min(small_times), max(small_times)
    both = [m for m in taken if first <= _at_s(m) <= last]
    shares = Counter(m["body"].split(" ")[1] for m in both)
    print(f"while both sent: {dict(shares)} in {last - first:.0f} s")
    assert 0.4 <= shares[small_run] / len(both) <= 0.6, shares  # while both had sends waiting: half each, ±10%
    assert last - first < 25  # 100 at 5/s, not behind the big tenant's 300
