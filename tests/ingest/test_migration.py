"""Issue 11: an existing warehouse migrates once, on its own, to message identity v2. Its ids are
re-keyed everywhere they are stored (lake, findings, scan state, retention, deletion lists, ...), and
messages purged before the migration (of which only a fingerprint of the old id is left) stay purged
when a renamed, re-localised re-export brings them again."""
import shutil
from datetime import datetime, timezone

import duckdb
import pytest
from exports import chat_text, file_name

from o3_governance import ingest
from o3_governance.ingest import migrate
from o3_governance.retention import decide
from o3_governance.scanning import store
from o3_governance.storage import lake, warehouse

OLD_NIGHT = datetime(2026, 11, 5, 2, 0, tzinfo=timezone.utc)
NIGHT = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
# The v1 message id (before issue 11): chat name as written, raw body, occurrence over both.
V1_SQL = ("substr(sha256(concat_ws(chr(31), chat_name, strftime(sent_local, '%Y-%m-%dT%H:%M:%S'), "
          "coalesce(author, ''), body, (row_number() OVER (PARTITION BY chat_name, sent_local, author, body "
          "ORDER BY line_no) - 1)::VARCHAR)), 1, 32)")
PURGED_BEFORE = "body LIKE 'De meterkast%' OR message_type IN ('deleted', 'media')"


def old_warehouse(layout):
    """A warehouse as the old code left it: v1 ids everywhere, a lake of v1 rows without the new
    columns, other domains' rows under v1 ids, and v1 fingerprints of 4 purged messages."""
    (layout.inbox / file_name("nl")).write_text(chat_text("nl", with_media=False), encoding="utf-8")
    ingest.ingest_inbox(layout, now=OLD_NIGHT)
    con = warehouse.connect(layout.warehouse)
    con.execute(f"CREATE TEMP TABLE v1 AS SELECT message_id AS new, {V1_SQL} AS old FROM messages")
    con.execute("UPDATE messages SET message_id = v1.old FROM v1 WHERE messages.message_id = v1.new")
    con.execute("ALTER TABLE messages DROP COLUMN author_id")
    con.execute("ALTER TABLE messages DROP COLUMN content_key")
    con.execute("DELETE FROM schema_versions")
    con.execute("DROP TABLE purged_messages")
    con.execute("CREATE TABLE purged_messages (message_key VARCHAR NOT NULL, purged_at TIMESTAMPTZ NOT NULL, "
                "event VARCHAR NOT NULL)")
    con.execute("INSERT INTO purged_messages SELECT sha256('o3-purged:' || message_id), ?, 'retention' "
                f"FROM messages WHERE {PURGED_BEFORE}", [OLD_NIGHT])
    con.execute(f"DELETE FROM messages WHERE {PURGED_BEFORE}")
    store.ensure_schema(con)
    decide.ensure_schema(con)
    con.execute("INSERT INTO findings (message_id, entity_type, start, \"end\", score, recognizer) "
                "SELECT message_id, 'PERSON', 0, 3, 0.9, 'test' FROM messages "
                "WHERE message_type = 'text'")
    con.execute("INSERT INTO retention (message_id, chat_id, rule) SELECT message_id, chat_id, 'default' FROM messages")
    con.execute("INSERT INTO deletion_list_items VALUES ('L1', (SELECT min(message_id) FROM messages), NULL, "
                "'default', 'delete', DATE '2028-01-01', NULL)")
    held = {r[0] for r in con.execute("SELECT message_id FROM messages").fetchall()}
    con.close()
    shutil.rmtree(layout.lake_messages)
    layout.lake_messages.mkdir()
    con = duckdb.connect(str(layout.warehouse))
    cols = ", ".join(c for c, _ in warehouse.MESSAGE_COLUMNS if c not in ("author_id", "content_key"))
    con.execute(f"COPY (SELECT {cols} FROM messages) TO '{layout.lake_messages}' (FORMAT PARQUET, "
                "PARTITION_BY (chat_id, month), FILENAME_PATTERN 'part-old-{i}', OVERWRITE_OR_IGNORE true)")
    con.close()
    return held


def lake_ids(layout):
    pattern = str(layout.lake_messages / "*" / "*" / "*.parquet")
    return {r[0] for r in duckdb.connect().execute(
        f"SELECT message_id FROM read_parquet('{pattern}', union_by_name=true, hive_partitioning=false)").fetchall()}


def test_migration_re_keys_everywhere_and_keeps_purged_messages_purged(data_layout):
    old_ids = old_warehouse(data_layout)
    assert len(old_ids) == 7 and lake_ids(data_layout) == old_ids       # 11 messages, 4 purged
    before = len(old_ids)
    # A re-export from a French phone, renamed by hand: the 4 purged messages are in it again.
    (data_layout.inbox / "team installaties nov 2026.txt").write_text(chat_text("fr", with_media=False),
                                                                      encoding="utf-8")
    summary = ingest.ingest_inbox(data_layout, now=NIGHT)
    assert summary.migration["messages"] == 7 and summary.migration["legacy_tombstones"] == 4
    (r,) = summary.archives
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        after = con.execute("SELECT count(*) FROM messages").fetchall()[0][0]
        assert (before, after, r.new_message_count, r.chat_match) == (7, 7, 0, "content"), \
            f"{before} messages before, {after} after: purged ones came back or duplicates were added"
        new_ids = {x[0] for x in con.execute("SELECT message_id FROM messages").fetchall()}
        assert not new_ids & old_ids
        for table in ("findings", "retention", "deletion_list_items"):
            orphans = con.execute(f"SELECT count(*) FROM {table} t WHERE t.message_id NOT IN "
                                  "(SELECT message_id FROM messages)").fetchall()[0][0]
            kept = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
            assert orphans == 0 and kept > 0, table
        assert con.execute("SELECT count(*) FROM messages WHERE content_key IS NULL").fetchall() == [(0,)]
        assert con.execute("SELECT version, lake_rebuilt FROM schema_versions").fetchall() == [(2, True)]
        assert lake.lake_row_count(con, data_layout.lake_messages) == 7
    assert lake_ids(data_layout) == new_ids
    # and once only
    assert ingest.ingest_inbox(data_layout, now=NIGHT).migration is None


def test_a_crash_during_the_lake_rebuild_is_finished_by_the_next_run(data_layout, monkeypatch):
    old_warehouse(data_layout)
    real = migrate.rebuild_lake

    def crash(con, layout):
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(migrate, "rebuild_lake", crash)
    with pytest.raises(KeyboardInterrupt):
        ingest.ingest_inbox(data_layout, now=NIGHT)
    monkeypatch.setattr(migrate, "rebuild_lake", real)
    summary = ingest.ingest_inbox(data_layout, now=NIGHT)
    assert summary.migration == {"lake_rebuilt": True, "resumed": True}
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        ids = {x[0] for x in con.execute("SELECT message_id FROM messages").fetchall()}
    assert lake_ids(data_layout) == ids and len(ids) == 7
