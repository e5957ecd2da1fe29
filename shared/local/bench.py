"""`echelonx bench`: the performance report behind architecture.md "Budgets".

1. Cold start: CPU time of a child process that imports one handler module, against the
   interpreter floor (`pass`) and `import botocore.session`; ratio = (handler - floor) /
   (botocore.session - floor), budget 1.8x for API handlers; peak RSS of the child.
2. Import plus first request: a child imports the handler and answers its sample event
   (events/<domain>/<module>.json) against one local runtime started here.
3. DynamoDB calls per request (and Scans, which must be 0), counted in-process with
   shared.local.bench_common's hook, for the handler alone (the authorizer's context is passed in).
4. One function per operation vs one function for all routes (shared.local.monolith).
5. moto TransactWriteItems rates (shared.local.bench_txn).
6. Items read at two table sizes (shared.local.bench_scale).
6b. Members at two tenant sizes: items read, calls, items returned per item read (shared.local.bench_members).
6c. Communications at two tenant sizes: the reports' and lists' calls and items read (shared.local.bench_comms).
7. getUsers past soft-deleted users: calls and items read (shared.local.bench_scale.measure_deleted).
8. moto SQS send/receive/delete of 10 at 10 and 10,000 queued, moto's own and patched (shared.local.bench_sqs).
11. The send pipeline: messages per second, AWS calls and DynamoDB items written per message on each path, and the
    capacity model at 500 messages a second computed from them (shared.local.bench_send).

CPU time, not wall-clock: these shared machines swing too much. A child's CPU (user + system)
comes from os.wait4, the per-child form of getrusage(RUSAGE_CHILDREN) deltas; its peak RSS is its
own VmHWM (see _PEAK_SUFFIX). Rows are measured in interleaved rounds, medians printed. It is a
report, not a test: `main` always returns 0.
"""

from __future__ import annotations

import importlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from shared.core.rights import ROLE_RANK
from shared.local import bench_iam
from shared.local.bench_common import calls_made, counting, install_call_counter, table
from shared.local.functions import ROOT, FunctionModule, discover
from shared.local.quiet import quiet

if TYPE_CHECKING:
    from collections.abc import Iterator

RUNS, QUICK_RUNS = 11, 3
COLD_START_BUDGET = 1.8  # x botocore.session above the floor
MONOLITH_AIM = 0.6  # per-operation init / all-routes init
FLOOR, BASELINE, MONOLITH = "pass (floor)", "import botocore.session", "monolith (all handlers)"
CHILD_TIMEOUT_S = 120
_STATUS_MARK = "@@bench-status "
_PEAK_MARK = "@@bench-peak-kb "
# Appended to every child statement (the floor's too, so it costs nothing in the ratios): the
# child's own peak RSS. wait4's ru_maxrss would also count the parent's image the child was forked
# from (Linux keeps the pre-exec high-water mark), i.e. the size of this process, not the child's.
_PEAK_SUFFIX = (
    "\ntry:\n"
    "    with open('/proc/self/status') as _f:\n"
    f"        print('\\n{_PEAK_MARK}' + next(l.split()[1] for l in _f if l.startswith('VmHWM:')), flush=True)\n"
    "except (OSError, StopIteration):\n"
    "    pass\n"
)


# --- child processes ---------------------------------------------------------------------------
@dataclass
class Child:
    cpu_ms: float
    rss_mb: float
    returncode: int
    stdout: str
    stderr: str


@dataclass
class Sample:
    """One row: every run of the same child statement."""

    label: str
    kind: str = ""
    cpu_ms: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    statuses: set[str] = field(default_factory=set)
    failures: int = 0
    error: str | None = None  # the last failed run's message

    @property
    def failed(self) -> bool:
        """No run succeeded (some may fail while others edit the tree: those are noted, not fatal)."""
        return self.failures > 0 and not self.cpu_ms

    @property
    def note(self) -> str | None:
        return f"{self.failures} run(s) failed, the last with {self.error}" if self.failures else None

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpu_ms) if self.cpu_ms else float("nan")

    @property
    def rss(self) -> float:
        return statistics.median(self.rss_mb) if self.rss_mb else float("nan")


def child_env() -> dict[str, str]:
    """This process's environment (the runtime's endpoint and Globals' variables, once started) with a
    Lambda-like region and Powertools set-up, and our code importable."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PYTHON")}  # e.g. PYTHONDONTWRITEBYTECODE would recompile every run
    env.pop("AWS_PROFILE", None)
    env.setdefault("AWS_ACCESS_KEY_ID", "testing")
    env.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    env.update({
        "AWS_DEFAULT_REGION": env.get("AWS_DEFAULT_REGION", "us-east-1"),
        "AWS_REGION": env.get("AWS_REGION", env.get("AWS_DEFAULT_REGION", "us-east-1")),
        "POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_SERVICE_NAME": "echelonx",
        "POWERTOOLS_METRICS_NAMESPACE": "EchelonX", "POWERTOOLS_LOG_LEVEL": "INFO",
        "PYTHONPATH": str(ROOT),
    })
    # The literal variables template.yaml gives every function (e.g. PYDANTIC_DISABLE_PLUGINS).
    from shared.local.template import load

    variables = load(ROOT / "template.yaml")["Globals"]["Function"]["Environment"]["Variables"]
    env.update({k: v for k, v in variables.items() if isinstance(v, str)})
    return env


def run_child(stmt: str, env: dict, args: tuple[str, ...] = ()) -> Child:
    """`python -c stmt args...`; its own CPU time (user + system) and peak RSS."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([sys.executable, "-c", stmt + _PEAK_SUFFIX, *args], env=env, cwd=ROOT,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        timer = threading.Timer(CHILD_TIMEOUT_S, proc.kill)  # a hung child must not hang the report
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        peak = _marks(stdout, _PEAK_MARK)
        rss_kb = int(peak[-1]) if peak else usage.ru_maxrss  # no /proc: an upper bound, see _PEAK_SUFFIX
        return Child((usage.ru_utime + usage.ru_stime) * 1000, rss_kb / 1024, proc.returncode,
                     stdout, err.read().decode(errors="replace"))


def _marks(stdout: str, mark: str) -> list[str]:
    return [line[len(mark):].strip() for line in stdout.splitlines() if line.startswith(mark)]


def measure(jobs: dict[str, tuple], runs: int, env: dict, warm_up: bool = True) -> dict[str, Sample]:
    """jobs: label -> (statement, args or args(round_no), kind[, the job's own variables over `env`]).
    Rounds interleave the rows so that drift on the machine lands on every row alike; an untimed first
    round writes .pyc files and fills caches."""
    samples = {label: Sample(label, job[2]) for label, job in jobs.items()}
    for round_no in range(runs + (1 if warm_up else 0)):
        for label, (stmt, args, _, *own) in jobs.items():
            child = run_child(stmt, {**env, **own[0]} if own else env, args(round_no) if callable(args) else args)
            _record(samples[label], child, timed=round_no > 0 or not warm_up)
    return samples


def _record(sample: Sample, child: Child, timed: bool) -> None:
    if child.returncode != 0:
        lines = child.stderr.strip().splitlines() or [f"exit {child.returncode}"]
        sample.failures += 1
        sample.error = lines[-1][:100]
        return
    sample.statuses.update(_marks(child.stdout, _STATUS_MARK)[-1:])
    if timed:
        sample.cpu_ms.append(child.cpu_ms)
        sample.rss_mb.append(child.rss_mb)


def ratio(cpu: float, floor: float, baseline: float) -> float:
    """Our cost above the interpreter, in units of botocore.session's."""
    return (cpu - floor) / (baseline - floor) if baseline > floor else float("nan")


STACK = "stack: pynamodb + 1 pydantic model + Powertools Logger/Metrics"
# What every handler imports before a line of ours: architecture.md's "floor" (its wall-clock
# figure is 1.57x); a handler's own code is what it costs above this row.
STACK_STMT = ("import pynamodb.models, pynamodb.transactions, pynamodb.indexes\n"
              "from pydantic import BaseModel\n"
              "class Probe(BaseModel):\n    x: int\n"
              "from aws_lambda_powertools import Logger, Metrics\n"
              "Logger(service='probe'); Metrics(namespace='probe')")


def _reference_jobs() -> dict[str, tuple]:
    return {FLOOR: ("pass", (), ""), BASELINE: ("import botocore.session", (), ""), STACK: (STACK_STMT, (), "")}


# --- 1 and 4: import CPU per handler module, and of all of them in one ---------------------------
def cold_starts(fns: list[FunctionModule], runs: int, monolith: bool = True) -> dict[str, Sample]:
    """Rows: the floor, the baseline, one per handler module (by operation name), the monolith."""
    jobs = _reference_jobs()
    jobs.update({fn.spec.name: (f"import {fn.module}", (), fn.spec.kind) for fn in fns})
    if monolith:
        jobs[MONOLITH] = ("import shared.local.monolith", (), "")
    return measure(jobs, runs, child_env())


# --- 2: import plus first request ---------------------------------------------------------------
@dataclass
class Values:
    """What the sample events' placeholders become, on the local runtime: the demo admin's ids and
    token, and for each seeded role the authorizer's real context for that role's login."""

    user_id: str
    client_id: str
    access_token: str
    contexts: dict[str, dict] = field(default_factory=dict)  # role -> authorizer context
    variables: dict[str, dict] = field(default_factory=dict)  # logical id -> the function's environment

    def fill(self, text: str) -> dict:
        from shared.local.sample_events import replay

        return replay(text, self.user_id, self.client_id, self.access_token)



def start_runtime():
    """One seeded local runtime for parts 2 and 3 (no pollers: nothing in the parent but the
    servers that answer the children)."""
    from shared.local.runtime import Runtime
    from shared.local.seed import seed

    runtime = Runtime(fakes=True, pollers=False).start()
    runtime.logins = seed(members=0)  # the benches load what they measure
    return runtime


def _login(runtime, role: str) -> dict:
    creds = runtime.logins[role]
    body = json.dumps({"email": creds["email"], "password": creds["password"]}).encode()
    status, _, answer = runtime.gateway.handle("POST", "/auth/login", "", {"content-type": "application/json"}, body)
    if status != 200:
        raise RuntimeError(f"login as {role} answered {status}: {answer[:200]!r}")
    return json.loads(answer)


def prepare(runtime, fns: list[FunctionModule]) -> Values:
    """Log in through the gateway as each seeded role; the authorizer turns each token into the
    context API Gateway would hand the handler."""
    admin = _login(runtime, "admin")
    values = Values(admin["user"]["id"], admin["user"]["client_id"] or "", admin["access_token"],
                    variables={i: fn.variables or {} for i, fn in runtime.functions.items()})
    auth = next((fn for fn in fns if fn.spec.kind == "authorizer"), None)
    roles = [role for role in ROLE_RANK if role in runtime.logins]  # one login per role, none with 2FA
    if auth is None:
        return values
    for role in roles:
        token = admin["access_token"] if role == "admin" else _login(runtime, role)["access_token"]
        event = sample_event(auth, replace(values, access_token=token))
        if event is not None:
            values.contexts[role] = _handler(auth)(event, _context(auth)).get("context") or {}
    return values


def event_path(fn: FunctionModule) -> Path:
    return ROOT / "events" / fn.domain / f"{fn.path.stem}.json"


def sample_event(fn: FunctionModule, values: Values) -> dict | None:
    """events/<domain>/<module>.json filled in. A protected route's caller keeps the sample's role
    (admin if it names none) but gets the real context of that role's login."""
    path = event_path(fn)
    if not path.exists():
        return None
    event = values.fill(path.read_text())
    if fn.spec.kind != "api" or fn.spec.role is None:
        return event
    ctx = event.setdefault("requestContext", {})
    role = ((ctx.get("authorizer") or {}).get("lambda") or {}).get("role") or "admin"
    if role in values.contexts:
        ctx["authorizer"] = {"lambda": dict(values.contexts[role])}
    return event


def requestable(fns: list[FunctionModule]) -> list[FunctionModule]:
    """The functions on the request path: API handlers and the authorizer."""
    return [fn for fn in fns if fn.spec.kind in ("api", "authorizer")]


_FIRST_REQUEST = (
    "import {module} as m\n"
    "import json, sys\n"
    "with open(sys.argv[1]) as f:\n"
    "    r = m.handler(json.load(f), None)\n"
    "sys.stdout.write('\\n' + {mark!r} + (str(r.get('statusCode')) if 'statusCode' in r else "
    "'allow' if r.get('isAuthorized') else 'deny') + '\\n')\n"
)


def first_requests(fns: list[FunctionModule], values: Values, runs: int) -> tuple[dict[str, Sample], list[str]]:
    """Rows for the floor, the baseline and each requestable function with a sample event, and the
    names of those without one. Each run gets its own filled event; a child gets the function's own
    environment, as template.yaml gives it, over this process's."""
    missing = []
    with tempfile.TemporaryDirectory() as tmp:
        jobs = _reference_jobs()
        for fn in requestable(fns):
            paths = _event_files(fn, values, runs + 1, Path(tmp))  # + the warm-up round
            if not paths:
                missing.append(fn.spec.name)
                continue
            jobs[fn.spec.name] = (_FIRST_REQUEST.format(module=fn.module, mark=_STATUS_MARK),
                                  lambda round_no, paths=paths: (paths[round_no],), fn.spec.kind,
                                  values.variables.get(fn.logical_id, {}))
        return measure(jobs, runs, child_env()), missing


def _event_files(fn: FunctionModule, values: Values, count: int, folder: Path) -> list[str]:
    paths = []
    for i in range(count):
        event = sample_event(fn, values)
        if event is None:
            return []
        path = folder / f"{fn.spec.name}-{i}.json"
        path.write_text(json.dumps(event))
        paths.append(str(path))
    return paths


# --- 3: DynamoDB calls per request --------------------------------------------------------------
@dataclass
class Calls:
    operation: str
    kind: str
    statuses: list[str] = field(default_factory=list)
    counts: list[Counter] = field(default_factory=list)  # per request: DynamoDB operation -> calls
    error: str | None = None

    @property
    def label(self) -> str:
        return self.operation

    @property
    def note(self) -> str | None:
        return self.error

    @property
    def calls(self) -> list[int]:
        return [sum(c.values()) for c in self.counts]

    @property
    def scans(self) -> int:
        return sum(c.get("Scan", 0) for c in self.counts)


def _handler(fn: FunctionModule):
    return importlib.import_module(fn.module).handler


def _context(fn: FunctionModule):
    from shared.local.lambda_runtime import LambdaContext

    return LambdaContext(fn.spec.name)


def _status(answer) -> str:
    if isinstance(answer, dict) and "statusCode" in answer:
        return str(answer["statusCode"])
    if isinstance(answer, dict) and "isAuthorized" in answer:
        return "allow" if answer["isAuthorized"] else "deny"
    return "ok"


def dynamodb_calls(fns: list[FunctionModule], values: Values, requests: int = 2) -> tuple[list[Calls], list[str]]:
    """Each requestable function answers its sample event `requests` times in-process (the first
    may pay for one-off reads, the second is the steady state); the calls of each request."""
    rows, missing = [], []
    with quiet():
        for fn in requestable(fns):
            if not event_path(fn).exists():
                missing.append(fn.spec.name)
                continue
            rows.append(_count_requests(fn, values, requests))
    return rows, missing


def _count_requests(fn: FunctionModule, values: Values, requests: int) -> Calls:
    row = Calls(fn.spec.name, fn.spec.kind)
    for _ in range(requests):
        event = sample_event(fn, values)  # filled before counting: OTHER_* are written to the table
        with counting() as tally:
            try:
                answer = _handler(fn)(event, _context(fn))
            except Exception as exc:  # noqa: BLE001 - one failing handler must not end the report
                row.error = f"{type(exc).__name__}: {exc}"[:100]
                return row
        row.statuses.append(_status(answer))
        row.counts.append(tally.calls)
    return row


def call_limit(operation: str) -> int | None:
    """architecture.md: stats <= 3 reads, get/list <= 2 calls; other operations have no limit."""
    if "stats" in operation.lower():
        return 3
    if operation.startswith(("get", "list")):
        return 2
    return None


# --- 5: moto TransactWriteItems -----------------------------------------------------------------
@contextmanager
def _in_process_moto() -> Iterator[None]:
    """For the parts on an in-process mock_aws, which resets moto's backends: run them with no local
    runtime alive in this process; boto3 must not follow an endpoint override elsewhere meanwhile."""
    saved = os.environ.pop("AWS_ENDPOINT_URL", None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ["AWS_ENDPOINT_URL"] = saved


def transactions(quick: bool) -> dict:
    """bench_txn's rates."""
    from shared.local import bench_txn

    n_tx, items = (200, 5000) if quick else (1000, 20000)
    with _in_process_moto():
        result = bench_txn.measure(n_tx, items)
    return {"tx": n_tx, "items": items, **result}


# --- printing -----------------------------------------------------------------------------------
def _num(value: float, digits: int = 1) -> str:
    return "-" if value != value else f"{value:.{digits}f}"  # NaN (no data) prints as "-"


def report_cold_starts(samples: dict[str, Sample], runs: int) -> list[str]:
    floor, base = samples[FLOOR].cpu, samples[BASELINE].cpu
    rows, over, api = [], [], 0
    for label, s in samples.items():
        if label == MONOLITH:
            continue
        r = ratio(s.cpu, floor, base) if label != FLOOR else float("nan")
        verdict = _verdict(s, r) if s.kind == "api" else ""
        api += s.kind == "api"
        if verdict == "OVER":
            over.append((r, label))
        rows.append([label, s.kind, _num(s.cpu), _num(r, 2), _num(s.rss), verdict])
    _title(f"1. Cold start: import CPU per handler module (median of {runs}; ratio = (module - floor) / "
           f"(botocore.session - floor), budget {COLD_START_BUDGET}x for API handlers)")
    print(table(["module", "kind", "CPU ms", "ratio", "peak MB", "budget"], rows))
    _notes(samples.values())
    stack = ratio(samples[STACK].cpu, floor, base) if STACK in samples else float("nan")
    ours = sorted(ratio(x.cpu, floor, base) - stack for x in samples.values() if x.kind == "api")
    if ours:
        print(f"our own code above the stack row: median {ours[len(ours) // 2]:+.2f}x, most {ours[-1]:+.2f}x "
              f"(aim: at most +0.10x)")
    if not over:
        return []
    worst = ", ".join(f"{label} {r:.2f}x" for r, label in sorted(over, reverse=True)[:3])
    return [f"{len(over)} of {api} API handlers over {COLD_START_BUDGET}x at cold start (worst: {worst}; "
            f"the stack alone is {stack:.2f}x)"]


def _verdict(s: Sample, r: float) -> str:
    if s.failed:
        return "error"
    return "OVER" if r > COLD_START_BUDGET else "ok"


def _notes(rows, missing: list[str] | tuple = ()) -> None:
    # Errors go under the table, so that one long message does not widen a column.
    for row in rows:
        if row.note:
            print(f"  {row.label}: {row.note}")
    if missing:
        print("  no sample event (not measured): " + ", ".join(missing))


def report_first_requests(samples: dict[str, Sample], missing: list[str], runs: int) -> list[str]:
    floor, base = samples[FLOOR].cpu, samples[BASELINE].cpu
    rows = []
    for label, s in samples.items():
        r = ratio(s.cpu, floor, base) if label != FLOOR else float("nan")
        rows.append([label, s.kind, _num(s.cpu), _num(r, 2), _num(s.rss),
                     "error" if s.failed else "/".join(sorted(s.statuses))])
    _title(f"2. Import plus first request, in a child against the local runtime (median of {runs}; "
           "ratio as in 1; no budget set yet)")
    print(table(["function", "kind", "CPU ms", "ratio", "peak MB", "status"], rows))
    _notes(samples.values(), missing)
    failed = [s.label for s in samples.values() if s.failed]
    return [f"first request failed: {', '.join(failed)}"] if failed else []


def report_calls(rows: list[Calls], missing: list[str]) -> list[str]:
    lines, problems = [], []
    for row in rows:
        limit = call_limit(row.operation) if row.kind == "api" else None
        problems += _call_problems(row, limit)
        first = row.counts[0] if row.counts else Counter()
        lines.append([row.operation, row.kind, "error" if row.error else "/".join(row.statuses),
                      " / ".join(map(str, row.calls)), "-" if limit is None else str(limit), str(row.scans),
                      calls_made(first)])
    _title("3. DynamoDB calls per request, in-process, the handler alone (1st / 2nd request; Scans must be 0)")
    print(table(["function", "kind", "status", "calls", "limit", "Scans", "1st request"], lines))
    _notes(rows, missing)
    return problems


def _call_problems(row: Calls, limit: int | None) -> list[str]:
    if row.error:
        return [f"{row.operation} failed in-process"]
    out = [f"{row.operation} made {row.scans} Scan(s)"] if row.scans else []
    if limit is not None and max(row.calls, default=0) > limit:
        out.append(f"{row.operation} made {max(row.calls)} DynamoDB calls (limit {limit})")
    return out


def report_monolith(samples: dict[str, Sample], runs: int) -> list[str]:
    floor, mono = samples[FLOOR].cpu, samples[MONOLITH].cpu
    rows, whole, above = [], [], []
    for label, s in samples.items():
        if label in (FLOOR, BASELINE, STACK, MONOLITH) or s.failed:
            continue
        whole.append(s.cpu / mono)
        above.append((s.cpu - floor) / (mono - floor))
        rows.append([label, s.kind, _num(s.cpu), _num(whole[-1], 2), _num(above[-1], 2)])
    rows.append([MONOLITH, "", _num(mono), "1.00", "1.00"])
    _title(f"4. One function per operation vs all routes in one (median of {runs}; aim <= {MONOLITH_AIM})")
    print(table(["module", "kind", "CPU ms", "/ monolith", "above floor"], rows))
    _notes([samples[MONOLITH]])
    if samples[MONOLITH].failed:
        return ["the monolith failed to import"]
    if not whole:
        return []
    med = statistics.median(whole)
    print(f"median per-operation init / monolith init: {med:.2f} (above the floor: "
          f"{statistics.median(above):.2f}) over {len(whole)} modules; aim <= {MONOLITH_AIM}")
    return [f"median init / monolith {med:.2f} (aim <= {MONOLITH_AIM})"] if med > MONOLITH_AIM else []


def report_transactions(result: dict) -> None:
    _title("5. moto TransactWriteItems (Put + Update per transaction, shared.local.moto_txn installed)")
    print(table(["table", "tx", "tx/s"], [
        ["empty", str(result["tx"]), _num(result["empty_tx_per_s"])],
        [f"{result['items']:,} items", str(result["tx"]), _num(result["big_tx_per_s"])],
    ]))
    print(f"ratio full/empty: {result['ratio']:.2f}")


def _title(text: str) -> None:
    print(f"\n{text}", flush=True)


def _env_defaults() -> None:
    # As tests/conftest.py: never a real AWS account, whatever the machine has configured.
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.pop("AWS_PROFILE", None)
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")


def _with_runtime(fns: list[FunctionModule], runs: int) -> list[str]:
    """Parts 2 and 3, on one runtime; if it cannot start or log in, the rest of the report still prints."""
    with quiet():
        runtime = None
        try:
            runtime = start_runtime()
            values = prepare(runtime, fns)
            problems = (report_first_requests(*first_requests(fns, values, runs), runs)
                        + report_calls(*dynamodb_calls(fns, values)))
            _title("3b. Local IAM: what checking a call against its function's role costs (in-process, cached decision)")
            bench_iam.report(runtime)
            return problems
        except Exception as exc:  # noqa: BLE001 - a report, not a test
            print(f"\nparts 2 and 3 skipped: {type(exc).__name__}: {exc}")
            return [f"parts 2 and 3 skipped ({type(exc).__name__})"]
        finally:
            if runtime is not None:
                runtime.stop()


def deleted_users(quick: bool) -> list[str]:
    """Part 7: getUsers past soft-deleted users (bench_scale.measure_deleted), against the list limit."""
    from shared.local import bench_scale

    users, deleted = bench_scale.QUICK_DELETED_SCALE if quick else bench_scale.DELETED_SCALE
    limit = bench_scale.DELETED_LIMIT
    _title(f"7. getUsers (limit {limit}) after {deleted:,} of {users:,} users were soft-deleted "
           "(DynamoDB calls and items read, the handler alone)")
    try:
        row = bench_scale.measure_deleted(users, deleted, limit)
    except Exception as exc:  # noqa: BLE001 - a report, not a test
        print(f"part 7 skipped: {type(exc).__name__}: {exc}")
        return [f"part 7 skipped ({type(exc).__name__})"]
    bench_scale.report_deleted(row)
    budget = call_limit("getUsers")
    print(f"limit for a list: {budget} calls: " + ("met" if row["calls"] <= budget else "OVER"))
    return [f"getUsers made {row['calls']} DynamoDB calls past {deleted:,} deleted users (limit {budget})"
            ] if row["calls"] > budget else []


# --- 8: moto SQS ----------------------------------------------------------------------------------
def queues(quick: bool) -> None:
    """Part 8: bench_sqs's call times at 10 and 10,000 queued, moto's own and shared.local.moto_sqs."""
    from shared.local import bench_sqs

    rounds = bench_sqs.QUICK_ROUNDS if quick else bench_sqs.ROUNDS
    _title(f"8. moto SQS, 10 messages per call (ms of CPU, median of {rounds[False]} rounds on moto 5.2.5, "
           f"{rounds[True]} patched with shared.local.moto_sqs)")
    with _in_process_moto():
        print(bench_sqs.report(bench_sqs.measure(rounds=rounds)))


# --- 9: sharded counters --------------------------------------------------------------------------
def counters(quick: bool) -> None:
    """Part 9: bench_counters' read cost and write spread at 1 shard and at N."""
    from shared.local import bench_counters

    records = bench_counters.QUICK_RECORDS if quick else bench_counters.RECORDS
    _title(f"9. A counter at 1 and {bench_counters.SHARDS} shards: reading it, and how {records:,} records' "
           f"deltas spread over its items (each record a new free-text value, {bench_counters.LIMIT} counted by name)")
    with _in_process_moto():
        bench_counters.main(quick)


# --- 10: member import ------------------------------------------------------------------------------
def member_import(quick: bool) -> list[str]:
    """Part 10: bench_import's 10,000-row import and its re-run: rows per second, DynamoDB calls per row."""
    from shared.local import bench_import

    rows = bench_import.QUICK_ROWS if quick else bench_import.ROWS
    _title(f"10. Member import of {rows:,} rows (1% bad), then the same file again: the worker on the local "
           f"runtime (goal: at most {bench_import.GOAL} DynamoDB calls per row)")
    try:
        return bench_import.main(quick)
    except Exception as exc:  # noqa: BLE001 - a report, not a test
        print(f"part 10 skipped: {type(exc).__name__}: {exc}")
        return [f"part 10 skipped ({type(exc).__name__})"]


# --- 11: the send pipeline ------------------------------------------------------------------------------
def sends(quick: bool) -> list[str]:
    """Part 11: bench_send's messages through createCommunication and the sender, with the provider fakes."""
    from shared.local import bench_send

    n = bench_send.QUICK_MESSAGES if quick else bench_send.MESSAGES
    _title(f"11. The send pipeline: {n:,} messages (3 in 4 sms, 1 in 4 email) through createCommunication and the "
           f"sender, on the local runtime with the provider fakes (goal: at most {bench_send.GOAL:g} AWS calls per "
           "message on the send path)")
    try:
        return bench_send.main(quick)
    except Exception as exc:  # noqa: BLE001 - a report, not a test
        print(f"part 11 skipped: {type(exc).__name__}: {exc}")
        return [f"part 11 skipped ({type(exc).__name__})"]


def main(quick: bool = False) -> int:
    _env_defaults()
    runs = QUICK_RUNS if quick else RUNS
    fns = discover()
    print(f"echelonx bench{' --quick' if quick else ''}: {len(fns)} functions, {runs} runs per row, "
          f"Python {sys.version.split()[0]}", flush=True)
    cold = cold_starts(fns, runs)
    problems = report_cold_starts(cold, runs)
    install_call_counter()  # before the runtime makes its sessions
    problems += _with_runtime(fns, runs)
    problems += report_monolith(cold, runs)
    report_transactions(transactions(quick))
    from shared.local import bench_scale

    print("\n6. Items read at two sizes (getClientStats, getUserStats, getUsers, searchUsers)", flush=True)
    if bench_scale.main(quick=quick):
        problems.append("items read grow with the data (table 6)")
    from shared.local import bench_members

    print("\n6b. Members at two tenant sizes (lists, filters, search, lookups)", flush=True)
    if bench_members.main(quick=quick):
        problems.append("a member read breaks its bound (table 6b)")
    from shared.local import bench_comms

    print("\n6c. Communications at two tenant sizes (reports, a channel's list, a timeline)", flush=True)
    if bench_comms.main(quick=quick):
        problems.append("a communication report or list breaks its bound (table 6c)")
    problems += deleted_users(quick)
    queues(quick)
    counters(quick)
    problems += member_import(quick)
    problems += sends(quick)
    print("\nbudget violations: " + ("; ".join(problems) if problems else "none"))
    return 0
