"""The vectorised parts of ingest: instants across DST, message ids, chat ids."""
from datetime import datetime, timezone

import duckdb
import pytest

from o3_governance import ingest
from o3_governance.storage import lake


def staged(rows):
    """rows: (chat_name, sent_local, author, body, line_no) → the messages rows ingest would build."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    full = [(c, t, a, None, "text", b, None, None, False, n) for c, t, a, b, n in rows]
    con.register("batch", ingest.pa.Table.from_pylist(
        [dict(zip(ingest.PARSED_SCHEMA.names, r)) for r in full], schema=ingest.PARSED_SCHEMA))
    con.execute("CREATE TABLE staging AS SELECT * FROM batch")
    sql = ingest._staged_messages_sql("staging", "arch1", "android", "nl")
    return con.execute(f"SELECT line_no, message_id, chat_id, sent_at, local_date, month FROM ({sql}) ORDER BY line_no").fetchall()


def utc(*a):
    return datetime(*a, tzinfo=timezone.utc)


@pytest.mark.parametrize("local,expected", [
    (datetime(2024, 1, 15, 12, 0), utc(2024, 1, 15, 11, 0)),       # winter: +01:00
    (datetime(2024, 7, 15, 12, 0), utc(2024, 7, 15, 10, 0)),       # summer: +02:00
    (datetime(2024, 3, 31, 1, 59), utc(2024, 3, 31, 0, 59)),       # just before the spring gap
    (datetime(2024, 3, 31, 2, 30), utc(2024, 3, 31, 1, 30)),       # in the gap: read as 03:30 CEST
    (datetime(2024, 3, 31, 3, 0), utc(2024, 3, 31, 1, 0)),
    (datetime(2024, 10, 27, 1, 59), utc(2024, 10, 26, 23, 59)),
    (datetime(2024, 10, 27, 2, 30), utc(2024, 10, 27, 1, 30)),     # repeated hour: standard time
    (datetime(2024, 10, 27, 3, 0), utc(2024, 10, 27, 2, 0)),
])
def test_local_time_becomes_the_right_instant(local, expected):
    ((_, _, _, sent_at, local_date, month),) = staged([("Werf", local, "Ann", "x", 1)])
    assert sent_at == expected
    assert local_date == local.date() and month == local.strftime("%Y-%m")


def test_identical_messages_get_distinct_ids_by_occurrence():
    t = datetime(2024, 1, 1, 9, 0)
    out = staged([("Werf", t, "Ann", "ok", 1), ("Werf", t, "Ann", "ok", 2), ("Werf", t, "Bob", "ok", 3),
                  ("Werf", t, None, "ok", 4), ("Werf", t, None, "ok", 5)])
    assert len({r[1] for r in out}) == 5


def test_message_id_depends_on_each_part_and_only_on_them():
    t = datetime(2024, 1, 1, 9, 0)
    base = staged([("Werf", t, "Ann", "hallo", 1)])[0][1]
    assert staged([("Werf", t, "Ann", "hallo", 77)])[0][1] == base  # position in the file does not matter
    variants = [("Werf2", t, "Ann", "hallo"), ("Werf", t, "Bob", "hallo"), ("Werf", t, "Ann", "hallo!"),
                ("Werf", t.replace(minute=1), "Ann", "hallo")]
    ids = {staged([(*v, 1)])[0][1] for v in variants}
    assert len(ids) == 4 and base not in ids and all(len(i) == 32 for i in ids)


def test_chat_id_in_sql_matches_python_and_is_not_the_name():
    ((_, _, chat_id, *_),) = staged([("Jan Peeters", datetime(2024, 1, 1), "Jan", "x", 1)])
    assert chat_id == lake.chat_id_for("Jan Peeters") and "Jan" not in chat_id and len(chat_id) == 16
