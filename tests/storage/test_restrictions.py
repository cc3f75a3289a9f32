"""The restriction marks live in storage: every warehouse has them, so scanning, retention and
reporting read one view without depending on the rights domain."""
from datetime import datetime, timezone

import duckdb

from o3_governance.storage import restrictions, warehouse

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


def _message(con, mid, author, phone=None):
    cols = [c for c, _ in warehouse.MESSAGE_COLUMNS]
    values = {"message_id": mid, "archive_id": "a", "chat_id": "c", "chat_name": "Werf", "source_format": "android",
              "sent_at": T0, "sent_local": T0.replace(tzinfo=None), "local_date": T0.date(), "month": "2026-01",
              "author": author, "author_phone": phone, "message_type": "text", "body": "ok", "edited": False,
              "line_no": 1}
    con.execute(f"INSERT INTO messages ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
                [values.get(c) for c in cols])


def test_a_new_warehouse_has_the_view_and_nothing_is_restricted(data_layout):
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        _message(con, "m1", "Ann")
        assert warehouse.table_exists(con, "restricted_message_ids")
        assert restrictions.restricted_message_ids(con) == set()
        condition = restrictions.exclusion_sql(con, "m.message_id")
        assert condition == "m.message_id NOT IN (SELECT message_id FROM restricted_message_ids)"
        assert con.execute(f"SELECT count(*) FROM messages m WHERE {condition}").fetchone()[0] == 1


def test_marked_messages_and_later_messages_of_a_marked_author_are_restricted_until_lifted(data_layout):
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        _message(con, "m1", "Ann")
        _message(con, "m2", "Bram", "+32471000000")
        _message(con, "m3", "Carla")
        con.execute("INSERT INTO restrictions VALUES ('R1', 'key', 'restriction', false, ?, NULL, NULL)", [T0])
        con.execute("INSERT INTO restricted_messages VALUES ('R1', 'm1')")
        con.execute("INSERT INTO restriction_authors VALUES ('R1', 'Bram', '+32471000000')")
        assert restrictions.restricted_message_ids(con) == {"m1", "m2"}
        _message(con, "m4", "Bram", "+32471000000")   # sent later by the same author
        assert restrictions.restricted_message_ids(con) == {"m1", "m2", "m4"}
        kept = con.execute(f"SELECT message_id FROM messages WHERE {restrictions.exclusion_sql(con)} ORDER BY 1")
        assert kept.fetchall() == [("m3",)]
        con.execute("UPDATE restrictions SET lifted_at = ? WHERE restriction_id = 'R1'", [T0])
        assert restrictions.restricted_message_ids(con) == set()


def test_an_older_warehouse_read_only_without_the_view_excludes_nothing(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    raw = duckdb.connect(str(path))
    raw.execute("CREATE TABLE messages (message_id VARCHAR)")
    raw.close()
    con = warehouse.connect(path, read_only=True)
    try:
        assert restrictions.exclusion_sql(con, "m.message_id") == "TRUE"
        assert restrictions.restricted_message_ids(con) == set()
    finally:
        con.close()


def test_rights_uses_the_storage_definitions():
    from o3_governance import rights
    from o3_governance.rights import register, restriction

    assert restriction.exclusion_sql is restrictions.exclusion_sql is rights.exclusion_sql
    assert restriction.restricted_message_ids is restrictions.restricted_message_ids
    assert all(ddl in register.SCHEMA for ddl in restrictions.SCHEMA)


def test_visible_leaves_out_restricted_messages_of_any_table(data_layout):
    """One relation for every count that may be shown: messages and findings alike lose the restricted rows;
    a connection without the view (a bare DuckDB) gets the table itself."""
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        _message(con, "m1", "Ann")
        _message(con, "m2", "Bob")
        con.execute("INSERT INTO restrictions VALUES ('R1', 'k', 'restriction', false, ?, NULL, NULL)", [T0])
        con.execute("INSERT INTO restricted_messages VALUES ('R1', 'm2')")
        assert con.execute(f"SELECT list(message_id) FROM {restrictions.visible(con, 'messages')}").fetchone()[0] == ["m1"]
    bare = duckdb.connect()
    bare.execute("CREATE TABLE findings (message_id VARCHAR)")
    assert restrictions.visible(bare, "findings") == "findings"
