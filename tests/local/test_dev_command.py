"""`echelonx dev` and `echelonx seed` as a user runs them: subprocesses, a real port, real signals.

Ctrl-C used to take over 10 s after minutes of load (moto kept every model instance it made, and the
interpreter's teardown freed them one by one); a port in use or a missing runtime ended in a traceback.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from shared.local.aws import free_port
from shared.local.cli import state_file

ECHELONX = str(Path(sys.executable).parent / "echelonx")
STOP_DEADLINE_S = 3.0  # the promise: Ctrl-C ends `make run` within 3 s, whatever ran before
START_TIMEOUT_S = 180  # a cold start on a busy 2-core machine; only a bound, never a measurement
SUPER_ADMIN = {"email": "super@echelonx.local", "password": "super-admin-password"}


class Dev:
    """`echelonx dev` on a port of its own, its output drained (a full pipe would block its logging)."""

    def __init__(self, port: int):
        self.port, self.url, self.lines = port, f"http://127.0.0.1:{port}", []
        self.proc = subprocess.Popen([ECHELONX, "dev"], env={**os.environ, "ECHELONX_PORT": str(port)},
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self._ready = threading.Event()
        threading.Thread(target=self._drain, daemon=True).start()
        if not self._ready.wait(START_TIMEOUT_S):
            self.kill()
            raise AssertionError("echelonx dev did not start:\n" + "".join(self.lines[-30:]))

    def _drain(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line)
            if line.startswith("Ctrl-C stops it."):
                self._ready.set()
        self._ready.set()  # it ended: let the constructor report it

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def _load(url: str, token: str, requests_per_worker: int, workers: int = 4) -> int:
    """Lists and logins on keep-alive sessions from several threads; the number of 200 answers."""
    ok = []

    def work():
        http = requests.Session()
        for i in range(requests_per_worker):
            if i % 10 == 0:
                r = http.post(url + "/auth/login", json=SUPER_ADMIN, timeout=60)
            else:
                r = http.get(url + "/users?limit=10", headers={"authorization": f"Bearer {token}"}, timeout=60)
            ok.append(r.status_code == 200)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(ok)


def _keep_sending(url: str, token: str, until: threading.Event) -> None:
    # Requests still arriving while the runtime stops, as when Ctrl-C lands during a client's burst.
    http = requests.Session()
    while not until.is_set():
        try:
            http.get(url + "/users?limit=10", headers={"authorization": f"Bearer {token}"}, timeout=5)
        except requests.RequestException:
            return


def test_ctrl_c_stops_a_loaded_runtime_within_3_s():
    dev = Dev(free_port())
    held, stopped = [], threading.Event()
    try:
        token = requests.post(dev.url + "/auth/login", json=SUPER_ADMIN, timeout=60).json()["access_token"]
        assert _load(dev.url, token, requests_per_worker=100) == 400
        for _ in range(5):  # keep-alive connections left open, as a browser leaves them
            session = requests.Session()
            assert session.get(dev.url + "/_local/state", timeout=30).status_code == 200
            held.append(session)
        half_sent = socket.create_connection(("127.0.0.1", dev.port))
        half_sent.sendall(b"GET /_local/state HTTP/1.1\r\nHost: x\r\n")  # a request never finished
        sender = threading.Thread(target=_keep_sending, args=(dev.url, token, stopped), daemon=True)
        sender.start()
        time.sleep(0.5)

        dev.proc.send_signal(signal.SIGINT)
        sent = time.monotonic()
        code = dev.proc.wait(timeout=60)
        took = time.monotonic() - sent
    finally:
        stopped.set()
        dev.kill()
    print(f"\nstopped {took:.2f} s after SIGINT")
    assert took <= STOP_DEADLINE_S, f"Ctrl-C took {took:.1f} s:\n" + "".join(dev.lines[-20:])
    assert code == 0 and any(line.startswith("stopping...") for line in dev.lines)
    tracebacks = [i for i, line in enumerate(dev.lines) if "Traceback" in line]
    assert not tracebacks, "".join(dev.lines[tracebacks[0] + 36:tracebacks[0] + 70] if tracebacks else ())
    assert not state_file(dev.port).exists()  # `echelonx seed` will not look for it any more


def _one_line_failure(args: list[str], port: int) -> str:
    run = subprocess.run([ECHELONX, *args], env={**os.environ, "ECHELONX_PORT": str(port)},
                         capture_output=True, text=True, timeout=120)
    out = (run.stdout + run.stderr).strip()
    assert run.returncode != 0, out
    assert "Traceback" not in out and len(out.splitlines()) == 1, out
    return out


def test_a_port_in_use_ends_dev_with_one_line_naming_echelonx_port():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = _one_line_failure(["dev", "--no-seed"], port)
    assert "ECHELONX_PORT" in line and str(port) in line


def test_seed_without_a_runtime_says_so_in_one_line():
    port = free_port()
    assert not state_file(port).exists()
    assert str(port) in _one_line_failure(["seed"], port)


def test_seed_after_a_runtime_was_killed_says_so_in_one_line():
    port = free_port()
    stale = state_file(port)  # what `echelonx dev` leaves behind when killed with SIGKILL
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_text(json.dumps({"url": f"http://127.0.0.1:{port}", "aws_endpoint": f"http://127.0.0.1:{port}",
                                 "env": {}}))
    try:
        assert str(port) in _one_line_failure(["seed"], port)
    finally:
        stale.unlink(missing_ok=True)
