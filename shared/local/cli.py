"""The `echelonx` command: dev, seed, openapi, template, settings, bench, keys, layer, recount, parked."""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import threading
from pathlib import Path
from typing import NoReturn

from shared.local.functions import ROOT

STATE_DIR = ROOT / ".echelonx"
DEFAULT_PORT = 3000
# The settings a user changes when a port is taken, per PortInUse.role.
_PORT_SETTING = {"api": "ECHELONX_PORT (or --port)", "aws": "--aws-port"}


def state_file(port: int) -> Path:
    """Where `echelonx dev` on `port` tells `echelonx seed` how to reach it (one per port: runtimes
    on other ports, a test's for instance, never overwrite it)."""
    return STATE_DIR / f"local-{port}.json"


def _default_port() -> int:
    return int(os.environ.get("ECHELONX_PORT", DEFAULT_PORT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="echelonx", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    dev = sub.add_parser("dev", help="run the whole backend locally on 127.0.0.1")
    dev.add_argument("--port", type=int, default=_default_port(), help="default: ECHELONX_PORT, else 3000")
    dev.add_argument("--aws-port", type=int, default=0, help="moto server port (default: any free port)")
    dev.add_argument("--data", type=Path, help="keep data between runs in this file")
    dev.add_argument("--no-seed", action="store_true")
    seed = sub.add_parser("seed", help="fill the running local runtime with a demo tenant")
    seed.add_argument("--port", type=int, default=_default_port(), help="the runtime's port (default: as dev)")
    op = sub.add_parser("openapi", help="write the OpenAPI 3.1 document")
    op.add_argument("-o", "--output", type=Path)
    tp = sub.add_parser("template", help="write the function entries of template.yaml from the decorators")
    tp.add_argument("--check", action="store_true", help="exit 1 if template.yaml has drifted")
    st = sub.add_parser("settings", help="write the README's configuration reference (each setting, who reads "
                        "it, where its value comes from)")
    st.add_argument("--check", action="store_true", help="exit 1 if the README's reference has drifted")
    bench = sub.add_parser("bench", help="print the performance table")
    bench.add_argument("--quick", action="store_true", help="fewer repetitions")
    sub.add_parser("events", help="write the sample events in events/ (one per function)")
    keys = sub.add_parser("keys", help="JWT signing keys: print a new pair, or rotate a stack's (README: Key rotation)")
    keys.add_argument("action", nargs="?", choices=("new", "rotate", "prune"), default="new",
                      help="new (default): print a pair; rotate: a new key signs, the previous stays "
                           "published; prune: drop every published key but the signing one")
    keys.add_argument("--port", type=int, default=_default_port(), help="the local runtime's port (default: as dev)")
    keys.add_argument("--stack", help="an AWS stack: its JwtSigningKey and JwtPublicKeys (default credentials)")
    keys.add_argument("--secret", help="the signing secret's id, with --parameter (instead of --stack)")
    keys.add_argument("--parameter", help="the public-key parameter's name, with --secret")
    keys.add_argument("--region", help="for --stack or --secret (default: the SDK's)")
    keys.add_argument("--force", action="store_true", help="drop older keys even if tokens they signed may be valid")
    layer = sub.add_parser("layer", help="prune an installed layer tree of what no function imports")
    layer.add_argument("path", type=Path)
    layer.add_argument("--measure", action="store_true", help="only print its size; exit 1 over the budget")
    rc = sub.add_parser("recount", help="rebuild every counter of a tenant from its items")
    scope = rc.add_mutually_exclusive_group(required=True)
    scope.add_argument("--client", help="the tenant's client id")
    scope.add_argument("--platform", action="store_true", help="the platform's counters (clients, super_admins)")
    rc.add_argument("--dry-run", action="store_true", help="print the differences, write nothing")
    _where(rc)
    pk = sub.add_parser("parked", help="list the stream records parked after the consumer's retries")
    pk.add_argument("--replay", action="store_true", help="apply them again; delete those that apply")
    pk.add_argument("--bucket", help="on AWS: the ParkedRecordsBucket's name (with --table)")
    _where(pk)
    args = parser.parse_args(argv)
    return globals()["_" + args.command](args)


def _dev(args) -> int:
    from shared.local.aws import PortInUse
    from shared.local.runtime import Runtime

    try:
        runtime = Runtime(port=args.port, aws_port=args.aws_port, data_file=args.data).start()
    except PortInUse as exc:
        print(f"echelonx dev: port {exc.port} is in use: free it or choose another with "
              f"{_PORT_SETTING[exc.role]}", file=sys.stderr)
        return 1
    state = state_file(runtime.port)
    runtime.write_state(state)
    # As Twilio does: each SMS sent is reported sent, then delivered (POST /_fake/twilio/auto-callbacks changes it).
    runtime.provider_fakes.state.auto_callbacks = ["sent", "delivered"]
    # The demo data's counters, search and filter entries are projected by the stream poller in the
    # background, as on AWS (stats trail the seed by a minute or two): waiting here for all of them made
    # the start take minutes.
    logins = {} if args.no_seed else _seed_now()
    print(f"EchelonX is running at {runtime.url}")
    print(f"  Swagger UI:    {runtime.url}/docs")
    print(f"  OpenAPI:       {runtime.url}/openapi.json")
    print(f"  Embedded AWS:  {runtime.aws.endpoint}   Provider fakes: {runtime.fakes_url}/_fake/outbox")
    if logins:
        sa = logins["super_admin"]
        print(f"  super_admin:   {sa['email']} / {sa['password']}")
        print(f"  demo tenant:   {logins['client_id']}  (admin, manager, user: "
              f"{logins['admin']['email']} ... / {logins['admin']['password']})")
        mfa = logins["two_factor"]
        print(f"  with 2FA:      {mfa['email']} / {mfa['password']}  (TOTP secret {mfa['totp_secret']})")
        print(f"  try:  curl -s {runtime.url}/auth/login -H 'content-type: application/json' "
              f"-d '{{\"email\":\"{sa['email']}\",\"password\":\"{sa['password']}\"}}'")
    print("Ctrl-C stops it.", flush=True)
    _wait_for_a_stop_signal()
    print("\nstopping...", flush=True)
    runtime.stop()
    state.unlink(missing_ok=True)
    _exit_now(0)


def _wait_for_a_stop_signal() -> None:
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    # A timed wait: Python runs signal handlers on the main thread only, and when the kernel hands the
    # signal to another thread, an untimed wait never wakes to run it (seen: a Ctrl-C ignored for 20 min).
    while not stop.wait(0.2):
        pass


def _exit_now(code: int) -> NoReturn:
    """End the process once the runtime has stopped, without the interpreter's teardown: freeing a heap
    of moto's items object by object took 1.5 s on a fresh runtime and grew with its data, while the
    OS frees it at once. Everything worth keeping is saved and flushed by now."""
    import logging

    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _seed_now() -> dict:
    from shared.local.seed import seed

    return seed()


def _seed(args) -> int:
    state = _running_state(args.port)
    if state is None:
        print(f"echelonx seed: no local runtime is running on port {args.port} "
              "(start one with `make run`, or name its port with ECHELONX_PORT or --port)", file=sys.stderr)
        return 1
    from shared.local.aws import point_sdks_at

    point_sdks_at(state["aws_endpoint"])
    os.environ.update(state["env"])
    print(json.dumps(_seed_now(), indent=2))
    return 0


def _running_state(port: int) -> dict | None:
    """The state a runtime on `port` wrote, if it still answers (a killed one leaves its file behind)."""
    from urllib.error import URLError
    from urllib.request import urlopen

    path = state_file(port)
    if not path.exists():
        return None
    state = json.loads(path.read_text())
    try:
        with urlopen(state["url"] + "/_local/state", timeout=5):
            return state
    except (URLError, OSError):
        return None


def _where(parser) -> None:
    parser.add_argument("--port", type=int, default=_default_port(), help="the local runtime's port (default: as dev)")
    parser.add_argument("--table", help="on AWS (default credentials and region): the table's name; "
                                         "without it, the local runtime's")


def _connect(args, command: str) -> dict | None:
    """Point the SDKs at the table named (AWS) or the local runtime's; the resource names it knows, or None
    (said on stderr) when no runtime answers on the port."""
    if args.table:
        os.environ["TABLE_NAME"] = args.table
        return {"Table": args.table}
    state = _running_state(args.port)
    if state is None:
        print(f"echelonx {command}: no local runtime is running on port {args.port} (start one with `make run`, "
              "name its port with --port, or name a table on AWS with --table)", file=sys.stderr)
        return None
    from shared.local.aws import point_sdks_at

    point_sdks_at(state["aws_endpoint"])
    os.environ["TABLE_NAME"] = state["names"]["Table"]
    return state["names"]


def _recount(args) -> int:
    from shared.db.recount import TenantKeptChanging, recount
    from shared.ids import ULID_PATTERN
    from shared.local.bench_common import table

    if args.client is not None and not re.fullmatch(ULID_PATTERN, args.client):
        print(f"echelonx recount: --client {args.client!r} is not a client id (a ULID)", file=sys.stderr)
        return 2
    if _connect(args, "recount") is None:
        return 1
    who = f"client {args.client}" if args.client else "the platform"
    try:
        found = recount(args.client, dry_run=args.dry_run)
    except TenantKeptChanging as exc:
        print(f"echelonx recount: {exc}", file=sys.stderr)
        return 1
    rows = [[d.counter, d.field, str(d.stored), str(d.recounted)] for d in found.differences]
    print(table(["counter", "field", "stored", "recounted"], rows, left=2) if rows else f"{who}: every counter is right")
    print(f"{found.items} items read; {len(rows)} difference(s); {found.behind} item(s) whose projection was "
          "behind the item (a lost or pending stream record)")
    if found.not_rebuilt:
        print("not rebuilt (no @projections.counted_items says where their items are): " + ", ".join(found.not_rebuilt))
    if rows or found.behind:
        print("dry run: nothing written" if args.dry_run else
              "written: the counters hold the recounted values, the projections of the items behind are up to date")
    return 0


def _parked(args) -> int:
    from shared.db import parked
    from shared.local.bench_common import table

    if args.bucket and not args.table:
        print("echelonx parked: --bucket names an AWS bucket: name the table with --table too", file=sys.stderr)
        return 2
    names = _connect(args, "parked")
    if names is None:
        return 1
    bucket = args.bucket or names.get("ParkedRecordsBucket")
    if not bucket:
        print("echelonx parked: name the ParkedRecordsBucket with --bucket", file=sys.stderr)
        return 2
    rows, batches, kept = [], 0, 0
    for batch in parked.batches(bucket):
        context, batches = batch.record["requestContext"], batches + 1
        outcome = ("replayed" if parked.replay(bucket, batch) else "still failing") if args.replay else ""
        kept += outcome == "still failing"
        for r in batch.records:
            keys, image = r["dynamodb"]["Keys"], r["dynamodb"].get("NewImage") or r["dynamodb"].get("OldImage") or {}
            rows.append([batch.record["timestamp"], context["condition"], str(context["approximateInvokeCount"]),
                         r["eventName"], (image.get("entity") or {}).get("S", "-"),
                         f"{keys['PK']['S']} {keys['SK']['S']}", r["dynamodb"]["SequenceNumber"], outcome])
    if not rows:
        print(f"no parked stream records in s3://{bucket}/{parked.PREFIX}")
        return 0
    header = ["parked at", "condition", "attempts", "event", "entity", "item", "sequence", "replay" if args.replay else ""]
    print(table(header, rows, left=len(header)))
    print(f"{len(rows)} record(s) in {batches} parked batch(es) in s3://{bucket}/{parked.PREFIX}"
          + (f"; {kept} batch(es) still failing, kept" if kept else "; replayed ones deleted" if args.replay else ""))
    return 1 if kept else 0


def _openapi(args) -> int:
    from shared.local.openapi import build

    text = json.dumps(build(), indent=2) + "\n"
    if args.output:
        args.output.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


def _template(args) -> int:
    from shared.local import template

    return _generated(template, args.check, "template.yaml has drifted from the handlers' decorators: "
                      "run `echelonx template`")


def _settings(args) -> int:
    from shared.local import configuration

    return _generated(configuration, args.check, "README.md's configuration reference has drifted: "
                      "run `echelonx settings`")


def _generated(writer, check: bool, drifted: str) -> int:
    """Rewrite a generated part (`writer.write()`), or with `check` only say whether it has drifted."""
    if not check:
        writer.write()
        return 0
    current, fresh = writer.generate()
    if current != fresh:
        print(drifted, file=sys.stderr)
        return 1
    return 0


def _bench(args) -> int:
    from shared.local.bench import main as bench_main

    return bench_main(quick=args.quick)


def _events(args) -> int:
    from shared.local.sample_events import write_all

    for path in write_all():
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


def _keys(args) -> int:
    from shared.local import keys

    if args.action == "new":
        secret, public = keys.new_key_pair()
        print(json.dumps({"JwtSigningKey (secret value)": secret, "JwtPublicKeys (parameter value)": public}, indent=2))
        return 0
    if bool(args.secret) != bool(args.parameter):
        print("echelonx keys: name both --secret and --parameter (or --stack)", file=sys.stderr)
        return 2
    store = _key_store(args)
    if store is None:
        print(f"echelonx keys: no local runtime is running on port {args.port} (name an AWS stack with --stack, "
              "or its --secret and --parameter)", file=sys.stderr)
        return 1
    try:
        done = keys.rotate(store, force=args.force) if args.action == "rotate" else keys.prune(store, force=args.force)
    except (keys.TooSoon, ValueError) as exc:
        print(f"echelonx keys {args.action}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(done, indent=2))
    return 0


def _key_store(args):
    """The keys `echelonx keys rotate|prune` works on: an AWS stack's (default credentials), or those
    of the local runtime on --port (from the state file `echelonx dev` writes)."""
    import boto3

    from shared.local.keys import KeyStore

    if args.stack or args.secret:
        session = boto3.session.Session(region_name=args.region)
        secret, parameter = args.secret, args.parameter
        if args.stack:
            cfn = session.client("cloudformation")
            secret, parameter = (cfn.describe_stack_resource(StackName=args.stack, LogicalResourceId=name)
                                 ["StackResourceDetail"]["PhysicalResourceId"] for name in ("JwtSigningKey", "JwtPublicKeys"))
        return KeyStore(session.client("secretsmanager"), session.client("ssm"), secret, parameter)
    state = _running_state(args.port)
    if state is None:
        return None
    from shared.local.aws import REGION

    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    return KeyStore(session.client("secretsmanager", endpoint_url=state["aws_endpoint"]),
                    session.client("ssm", endpoint_url=state["aws_endpoint"]),
                    state["jwt_secret"], state["jwt_public_keys"])


def _layer(args) -> int:
    from shared.local.layer import LIMIT_MB, prune, size_table

    if not args.measure:
        removed = prune(args.path)
        print(f"removed (no function imports them): {', '.join(removed) or 'nothing'}")
        return 0
    table, total = size_table(args.path)
    print(table)
    if total > LIMIT_MB:
        print(f"echelonx layer: {total:.1f} MB is over the {LIMIT_MB} MB budget (Lambda's limit is 250 MB "
              "for a function and its layers)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
