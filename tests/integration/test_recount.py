"""`echelonx recount` and `echelonx parked` against the running local runtime, as an operator runs them.

A damaged counter: the dry run prints the difference and writes nothing; the real run repairs it. A
stream record the consumer cannot apply (its writes refused past its retries): it is parked with both
images, the counter stays behind, the recount brings the item's projection and the counter back, a
later change of that user moves the counter from the right place, and the parked record replays
harmlessly and is deleted."""

from __future__ import annotations

import pytest

from shared.ids import new_id
from shared.local import cli
from tests.eventually import eventually
from tests.integration.test_write_failures import dynamodb_answers

STRONG = "correct-horse-battery"


@pytest.fixture
def sa(login):
    return login("super_admin")["access_token"]


@pytest.fixture
def state_file(local):
    """The state file `echelonx dev` writes, so the commands find this runtime on its port."""
    path = cli.state_file(local.port)
    local.write_state(path)
    yield path
    path.unlink(missing_ok=True)


def _tenant(api, sa) -> str:
    r = api.post("/clients", token=sa, json={"name": f"Recount {new_id()}", "subscription_tier": "basic"})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _user(api, sa, client_id: str, role: str) -> dict:
    r = api.post("/users", token=sa, json={"email": f"{role}-{new_id().lower()}@recount.example", "role": role,
                                           "password": STRONG, "client_id": client_id})
    assert r.status_code == 201, r.text
    return r.json()


def _stats(api, sa, client_id: str) -> dict:
    r = api.get("/users/stats", token=sa, params={"client_id": client_id})
    assert r.status_code == 200, r.text
    return r.json()


def _run(capsys, *argv: str) -> tuple[int, str]:
    code = cli.main(list(argv))
    return code, capsys.readouterr().out


def _rows(out: str) -> list[list[str]]:
    """The table's rows, cells split on whitespace (no header, no rule)."""
    lines = out.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("---")), -1) + 1
    return [line.split() for line in lines[start:] if line.startswith(("T#", "P#"))]


def test_a_damaged_counter_is_shown_by_the_dry_run_and_repaired_by_the_recount(api, sa, local, state_file, capsys):
    client_id = _tenant(api, sa)
    for role in ("admin", "manager", "user"):
        _user(api, sa, client_id, role)
    eventually(lambda: _stats(api, sa, client_id)["total"] == 3)
    ddb, counter = local.aws.client("dynamodb"), f"T#{client_id}#COUNTER#USERSTATS"
    ddb.update_item(TableName=local.aws.names["Table"], Key={"PK": {"S": counter}, "SK": {"S": "COUNTER"}},
                    UpdateExpression="SET #t = :t, role_manager = :m",
                    ExpressionAttributeNames={"#t": "total"}, ExpressionAttributeValues={":t": {"N": "10"}, ":m": {"N": "4"}})

    code, out = _run(capsys, "recount", "--client", client_id, "--dry-run", "--port", str(local.port))
    assert code == 0, out
    assert sorted(_rows(out)) == [[counter, "role_manager", "4", "1"], [counter, "total", "10", "3"]], out
    assert "dry run: nothing written" in out
    assert _stats(api, sa, client_id)["total"] == 10  # unchanged

    code, out = _run(capsys, "recount", "--client", client_id, "--port", str(local.port))
    assert code == 0 and "written" in out, out
    stats = _stats(api, sa, client_id)
    assert (stats["total"], stats["by_role"]) == (3, {"admin": 1, "manager": 1, "user": 1})
    code, out = _run(capsys, "recount", "--client", client_id, "--dry-run", "--port", str(local.port))
    assert "every counter is right" in out and not _rows(out), out


def test_a_record_the_consumer_cannot_apply_is_parked_then_recounted_and_replayed(api, sa, local, state_file, capsys):
    client_id = _tenant(api, sa)
    user = _user(api, sa, client_id, "user")
    eventually(lambda: _stats(api, sa, client_id)["by_role"] == {"user": 1})
    params = {"client_id": client_id}
    gave_up = sum("gave up" in e for e in local.poller.errors)

    # Every write of this user's projections is refused: the consumer fails the record past its retries.
    with dynamodb_answers("InternalServerError", "TransactWriteItems", f"USER#{user['id']}#PROJ#"):
        r = api.patch(f"/users/{user['id']}", token=sa, params=params, json={"role": "manager"})
        assert r.status_code == 200, r.text
        eventually(lambda: sum("gave up" in e for e in local.poller.errors) > gave_up)
    assert _stats(api, sa, client_id)["by_role"] == {"user": 1}  # the change never reached the counter

    # Parked with its images: the old role and the new one.
    code, out = _run(capsys, "parked", "--port", str(local.port))
    assert code == 0, out
    mine = [line for line in out.splitlines() if f"T#{client_id}#USER#{user['id']} USER" in line]
    assert mine and all("RetryAttemptsExhausted" in line and "MODIFY" in line for line in mine), out
    parked = [b for b in _parked_batches(local) if any(_is_the_users(r, client_id, user["id"]) for r in b.records)]
    change = next(r for b in parked for r in b.records if _is_the_users(r, client_id, user["id"]))
    assert change["dynamodb"]["OldImage"]["role"] == {"S": "user"}
    assert change["dynamodb"]["NewImage"]["role"] == {"S": "manager"}
    assert change["dynamodb"]["NewImage"]["email"] == {"S": user["email"]}

    counter = f"T#{client_id}#COUNTER#USERSTATS"
    code, out = _run(capsys, "recount", "--client", client_id, "--dry-run", "--port", str(local.port))
    assert sorted(_rows(out)) == [[counter, "role_manager", "0", "1"], [counter, "role_user", "1", "0"]], out
    assert "1 item(s) whose projection was behind" in out
    code, out = _run(capsys, "recount", "--client", client_id, "--port", str(local.port))
    assert code == 0 and len(_rows(out)) == 2 and "written" in out, out
    assert _stats(api, sa, client_id)["by_role"] == {"manager": 1}

    # The projection marker was brought up to date with the counter: the next change moves from manager.
    assert api.patch(f"/users/{user['id']}", token=sa, params=params, json={"role": "admin"}).status_code == 200
    eventually(lambda: _stats(api, sa, client_id)["by_role"] == {"admin": 1})
    assert _stats(api, sa, client_id)["total"] == 1

    # Replaying the parked record now changes nothing (older than what is applied), and it is deleted.
    code, out = _run(capsys, "parked", "--replay", "--port", str(local.port))
    assert code == 0 and "still failing" not in out, out
    assert not [b for b in _parked_batches(local) if b.key in {p.key for p in parked}]
    assert _stats(api, sa, client_id)["by_role"] == {"admin": 1}


def test_the_platforms_client_tally_is_recounted_from_the_clients_listing(api, sa, local, state_file, capsys):
    _tenant(api, sa)
    local.poller.settle("streams")  # every client made so far is counted
    right = api.get("/clients/stats", token=sa).json()["total"]
    ddb = local.aws.client("dynamodb")
    ddb.update_item(TableName=local.aws.names["Table"], Key={"PK": {"S": "P#COUNTER#CLIENTSTATS"}, "SK": {"S": "COUNTER"}},
                    UpdateExpression="ADD #t :n", ExpressionAttributeNames={"#t": "total"},
                    ExpressionAttributeValues={":n": {"N": "100"}})

    code, out = _run(capsys, "recount", "--platform", "--dry-run", "--port", str(local.port))
    assert ["P#COUNTER#CLIENTSTATS", "total", str(right + 100), str(right)] in _rows(out), out
    assert api.get("/clients/stats", token=sa).json()["total"] == right + 100
    code, out = _run(capsys, "recount", "--platform", "--port", str(local.port))
    assert code == 0 and "written" in out, out
    assert api.get("/clients/stats", token=sa).json()["total"] == right


def test_a_tenant_that_keeps_changing_during_the_recount_is_left_as_it_was(api, sa, local, state_file, capsys,
                                                                           monkeypatch):
    from shared.db import recount

    client_id = _tenant(api, sa)
    user = _user(api, sa, client_id, "user")
    local.poller.settle("streams")
    counter = {"PK": {"S": f"T#{client_id}#COUNTER#USERSTATS"}, "SK": {"S": "COUNTER"}}
    local.aws.client("dynamodb").update_item(TableName=local.aws.names["Table"], Key=counter,
                                             UpdateExpression="SET #t = :t", ExpressionAttributeNames={"#t": "total"},
                                             ExpressionAttributeValues={":t": {"N": "7"}})
    reads, read = [], recount._read

    def read_while_someone_edits(scope):
        items = read(scope)
        reads.append(scope)
        if len(reads) % 2:  # between the two reads of every attempt, the user is renamed
            r = api.patch(f"/users/{user['id']}", token=sa, params={"client_id": client_id},
                          json={"first_name": f"Renamed{len(reads)}"})
            assert r.status_code == 200, r.text
        return items

    monkeypatch.setattr(recount, "_read", read_while_someone_edits)
    code = cli.main(["recount", "--client", client_id, "--port", str(local.port)])
    assert code == 1 and "kept changing" in capsys.readouterr().err
    assert len(reads) == 2 * recount.ATTEMPTS
    assert _stats(api, sa, client_id)["total"] == 7  # nothing stale written: it is still as it was


def test_a_counter_a_projection_newly_counts_is_backfilled_and_then_kept(api, sa, local, state_file, capsys,
                                                                        monkeypatch):
    from shared.db import projections

    client_id = _tenant(api, sa)
    users = [_user(api, sa, client_id, role) for role in ("manager", "user")]
    local.poller.settle("streams")
    counter = f"T#{client_id}#COUNTER#USERSTATS"

    def with_probe(fn):  # the user-stats projection, now also counting a `probe` per live user
        return lambda image: {k: {**fields, "probe": 1} for k, fields in fn(image).items()}

    monkeypatch.setitem(projections._registry, "USER", [(name, kind, with_probe(fn) if name == "user-stats" else fn)
                                                        for name, kind, fn in projections._registry["USER"]])
    code, out = _run(capsys, "recount", "--client", client_id, "--dry-run", "--port", str(local.port))
    assert _rows(out) == [[counter, "probe", "0", "2"]] and "2 item(s) whose projection was behind" in out, out
    code, out = _run(capsys, "recount", "--client", client_id, "--port", str(local.port))
    assert code == 0 and "written" in out, out
    code, out = _run(capsys, "recount", "--client", client_id, "--dry-run", "--port", str(local.port))
    assert "every counter is right" in out and "0 item(s) whose projection was behind" in out, out

    # The markers took the new contribution: deleting a user takes its probe away, once.
    assert api.delete(f"/users/{users[0]['id']}", token=sa, params={"client_id": client_id}).status_code == 204
    local.poller.settle("streams")
    stored = local.aws.client("dynamodb").get_item(TableName=local.aws.names["Table"],
                                                   Key={"PK": {"S": counter}, "SK": {"S": "COUNTER"}})["Item"]
    assert (stored["probe"], stored["total"]) == ({"N": "1"}, {"N": "1"})


def test_recount_names_a_bad_client_id_and_a_missing_runtime(capsys):
    code = cli.main(["recount", "--client", "not-an-id", "--dry-run"])
    assert code == 2 and "--client 'not-an-id' is not a client id" in capsys.readouterr().err
    code = cli.main(["recount", "--client", new_id(), "--port", "1"])
    assert code == 1 and "no local runtime is running on port 1" in capsys.readouterr().err


def _parked_batches(local):
    from shared.db import parked

    return list(parked.batches(local.aws.names["ParkedRecordsBucket"]))


def _is_the_users(record: dict, client_id: str, user_id: str) -> bool:
    return record["dynamodb"]["Keys"]["PK"]["S"] == f"T#{client_id}#USER#{user_id}" and \
        record["dynamodb"]["Keys"]["SK"]["S"] == "USER"


def test_a_sharded_counter_with_a_bounded_dimension_is_recounted_shard_by_shard(api, sa, local, state_file, capsys,
                                                                                 monkeypatch):
    from shared.db import projections
    from shared.users.store import scope

    projections.registered("USER")  # the domains' own declarations, then this test's beside them
    monkeypatch.setattr(projections, "_registry", {k: list(v) for k, v in projections._registry.items()})

    @projections.counter("USER", "user-surnames", shards=4)
    def surnames(user):  # users by last name, a free-text field: two names of their own, the rest other
        return projections.tally(user, scope(user.get("client_id"), "COUNTER", "SURNAMES"), {},
                                 open_categories={"last_name": ("last", 2)})

    client_id = _tenant(api, sa)
    for last in ("Ng", "Ito", "Ng", "Kim"):
        r = api.post("/users", token=sa, json={"email": f"{last}-{new_id().lower()}@recount.example", "role": "user",
                                               "password": STRONG, "client_id": client_id, "last_name": last})
        assert r.status_code == 201, r.text
    local.poller.settle("streams")
    counter = f"T#{client_id}#COUNTER#SURNAMES"
    shards = projections.shard_keys(counter, 4)
    ddb, table = local.aws.client("dynamodb"), local.aws.names["Table"]

    def counted() -> dict[str, int]:
        found = ddb.batch_get_item(RequestItems={table: {"Keys": [{"PK": {"S": k}, "SK": {"S": "COUNTER"}} for k in shards]}})
        sums: dict[str, int] = {}
        for item in found["Responses"][table]:
            for f, v in item.items():
                if "N" in v and int(v["N"]):
                    sums[f] = sums.get(f, 0) + int(v["N"])
        return sums

    right = counted()
    assert right["total"] == 4 and sum(n for f, n in right.items() if f.startswith("last_")) == 4
    assert len([f for f in right if f.startswith("last_") and f != "last_other"]) <= 2
    code, out = _run(capsys, "recount", "--client", client_id, "--dry-run", "--port", str(local.port))
    assert code == 0 and "every counter is right" in out, out

    ddb.update_item(TableName=table, Key={"PK": {"S": shards[3]}, "SK": {"S": "COUNTER"}},
                    UpdateExpression="ADD #t :n", ExpressionAttributeNames={"#t": "total"},
                    ExpressionAttributeValues={":n": {"N": "5"}})
    code, out = _run(capsys, "recount", "--client", client_id, "--dry-run", "--port", str(local.port))
    [row] = _rows(out)
    assert row[:2] == [shards[3], "total"] and int(row[2]) - int(row[3]) == 5, out
    code, out = _run(capsys, "recount", "--client", client_id, "--port", str(local.port))
    assert code == 0 and "written" in out, out
    assert counted() == right
