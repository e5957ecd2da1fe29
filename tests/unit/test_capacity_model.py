"""The capacity model's arithmetic (shared.local.bench_send): write units from the items each call names."""

from __future__ import annotations

from shared.local import bench_send
from shared.local.bench_common import Tally, items_written, kind_of


def test_each_write_call_names_its_items_by_kind():
    put = {"Item": {"PK": {"S": "T#c1#COMM#01J"}, "SK": {"S": "COMM"}}}
    assert items_written("PutItem", put) == [("single", "COMM")]
    tx = {"TransactItems": [{"Put": put}, {"Update": {"Key": {"PK": {"S": "T#c1#COUNTER#COMMDAY#2026-12-02"}}}},
                            {"ConditionCheck": {"Key": {"PK": {"S": "T#c1#MEMBER#m1"}}}}]}
    assert items_written("TransactWriteItems", tx) == [("transaction", "COMM"), ("transaction", "COUNTER#COMMDAY")]
    batch = {"RequestItems": {"t": [{"PutRequest": put}, {"DeleteRequest": {"Key": {"PK": {"S": "P#DUE#X#1"}}}}]}}
    assert items_written("BatchWriteItem", batch) == [("single", "COMM"), ("single", "DUE")]
    assert items_written("GetItem", {"Key": put["Item"]}) == []
    assert kind_of({"PK": {"S": "T#c1#AUDIT#2026-12-02"}}) == "AUDIT"


def _result(written: dict, items: dict) -> dict:
    tally = Tally()
    tally.written.update(written)
    empty = (0.0, Tally())
    return {"n": 2, "create": (0.0, tally), "send": empty, "callbacks": empty, "stream": empty, "items": items}


def test_a_transaction_bills_twice_a_big_item_per_kb_and_each_index_once():
    # 2 messages: 2 transactional writes of 1.5 KB items in 2 indexes (2×2 + 2 = 6 units each), 4 plain writes
    # of small counters in none (1 unit each).
    result = _result({("transaction", "COMM"): 2, ("single", "COUNTER#COMMSTATS"): 4},
                     {"COMM": {"bytes": 1536, "indexes": 2}, "COUNTER#COMMSTATS": {"bytes": 200, "indexes": 0}})
    writes, reads, by_kind = bench_send._units(result)
    assert by_kind == {"COMM": 6.0, "COUNTER#COMMSTATS": 2.0} and writes == 8.0 and reads == 0.0
    model = bench_send.capacity(result)
    assert "4,000" in model  # 8 write units a message × 500 messages a second
