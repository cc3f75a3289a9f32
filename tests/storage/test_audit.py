from datetime import datetime, timedelta, timezone

from o3_governance.storage import audit, warehouse

T0 = datetime(2026, 1, 1, 3, 0, tzinfo=timezone.utc)


def _log(con, n=5):
    for i in range(n):
        audit.append(con, "event", {"i": i}, run_id=f"run-{i}", ts=T0 + timedelta(seconds=i))


def test_untouched_chain_verifies(data_layout):
    con = warehouse.connect(data_layout.warehouse)
    _log(con)
    v = audit.verify(con)
    assert v.ok and v.rows == 5 and v.problem is None


def test_edited_row_is_detected(data_layout):
    con = warehouse.connect(data_layout.warehouse)
    _log(con)
    con.execute("""UPDATE audit_log SET details = '{"i":99}' WHERE seq = 3""")
    v = audit.verify(con)
    assert not v.ok and "row 3" in v.problem and "edited" in v.problem


def test_removed_row_is_detected(data_layout):
    con = warehouse.connect(data_layout.warehouse)
    _log(con)
    con.execute("DELETE FROM audit_log WHERE seq = 2")
    v = audit.verify(con)
    assert not v.ok and "removed" in v.problem


def test_reordered_rows_are_detected(data_layout):
    con = warehouse.connect(data_layout.warehouse)
    _log(con)
    con.execute("UPDATE audit_log SET seq = CASE seq WHEN 2 THEN 3 WHEN 3 THEN 2 ELSE seq END")
    assert not audit.verify(con).ok


def test_rehashed_forgery_is_detected_by_next_link(data_layout):
    con = warehouse.connect(data_layout.warehouse)
    _log(con)
    prev, seq, ts, run_id = con.execute(
        "SELECT prev_hash, seq, ts, run_id FROM audit_log WHERE seq = 2").fetchone()
    # Even with the key, re-hashing one row breaks the link of the next.
    forged = audit.keyed_hash(audit.chain_key(con), prev, seq, ts, run_id, "event", '{"i":42}')
    con.execute("UPDATE audit_log SET details = '{\"i\":42}', row_hash = ? WHERE seq = 2", [forged])
    v = audit.verify(con)
    assert not v.ok and "row 3" in v.problem


def test_cut_tail_is_detected_by_head_file(data_layout):
    con = warehouse.connect(data_layout.warehouse)
    _log(con)
    con.execute("DELETE FROM audit_log WHERE seq = 5")
    v = audit.verify(con)
    assert not v.ok and "removed" in v.problem


def test_chain_survives_compaction(data_layout):
    con = warehouse.connect(data_layout.warehouse)
    _log(con)
    con.close()
    warehouse.compact(data_layout.warehouse)
    con = warehouse.connect(data_layout.warehouse)
    assert audit.verify(con).ok
    audit.append(con, "after", {}, ts=T0 + timedelta(hours=1))
    assert audit.verify(con).rows == 6
