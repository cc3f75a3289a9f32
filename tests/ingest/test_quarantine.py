"""Issue 11: quarantine is reversible. A file dropped again after it was quarantined is ingested (its row
moves quarantined → ingested, with history), never a duplicate of itself; ``quarantine retry`` puts the
kept copy back; a fault of the system (our media folder, the disk) leaves the file for the next night."""
from datetime import datetime, timedelta, timezone

from exports import chat_text, file_name

from o3_governance import ingest
from o3_governance.cli import main
from o3_governance.storage import audit, warehouse

NIGHT1 = datetime(2026, 11, 10, 2, 0, tzinfo=timezone.utc)
NIGHT2 = NIGHT1 + timedelta(days=1)
NIGHT3 = NIGHT1 + timedelta(days=2)
LONG = "02/11/2026, 08:01 - Ann Peeters: " + "lang bericht " * 300 + "\n"


def drop(layout, name, data):
    path = layout.inbox / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def rows(layout, sql, *params):
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def test_a_quarantined_file_dropped_back_is_ingested_with_history(data_layout):
    """Before: the same bytes again were "byte-identical to an archive already registered": a duplicate,
    and the only copy was deleted."""
    text = chat_text("nl") + LONG
    drop(data_layout, file_name("nl"), text)
    (first,) = ingest.ingest_inbox(data_layout, now=NIGHT1, max_body_chars=1000).archives
    assert first.status == "quarantined"
    drop(data_layout, file_name("nl"), text)          # the limit was raised; the same file again
    (again,) = ingest.ingest_inbox(data_layout, now=NIGHT2, max_body_chars=100_000).archives
    assert (again.archive_id, again.status, again.new_message_count) == (first.archive_id, "ingested", 12)
    assert rows(data_layout, "SELECT archive_id, status FROM archives") == [(first.archive_id, "ingested")]
    assert rows(data_layout, 'SELECT archive_id, from_status, to_status, "at" FROM archive_history') == [
        (first.archive_id, "quarantined", "ingested", NIGHT2)]
    assert list(data_layout.quarantine.iterdir()) == [], "the quarantined copy is not kept once ingested"


def test_quarantine_list_and_retry(data_layout, capsys):
    drop(data_layout, "sub/" + file_name("nl"), chat_text("nl") + LONG)
    (q,) = ingest.ingest_inbox(data_layout, now=NIGHT1, max_body_chars=1000).archives
    assert main(["quarantine", "list"]) == 0
    out = capsys.readouterr().out
    assert q.archive_id in out and ".txt" in out and "Team" not in out and "WhatsApp" not in out
    assert main(["quarantine", "retry", q.archive_id]) == 0
    assert (data_layout.inbox / "sub" / file_name("nl")).read_text(encoding="utf-8").endswith(LONG)
    assert not any(data_layout.quarantine.iterdir())
    (r,) = ingest.ingest_inbox(data_layout, now=NIGHT2).archives
    assert (r.archive_id, r.status, r.previous_status) == (q.archive_id, "ingested", "quarantined")
    capsys.readouterr()
    assert main(["quarantine", "retry", "nope"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "o3-governance quarantine retry: no quarantined archive with id nope"


def test_a_fault_of_the_system_leaves_the_file_for_the_next_night(data_layout):
    """Before: a media folder we could not write quarantined the file, as if the file were bad."""
    from conftest import zip_bytes
    from exports import media_files

    data = zip_bytes({file_name("nl"): chat_text("nl", True).encode(), **media_files()})
    src = drop(data_layout, file_name("nl", suffix=".zip"), data)
    blocked = []
    for name, content in media_files().items():   # our media folder cannot take these files
        import hashlib
        shard = data_layout.media / hashlib.sha256(content).hexdigest()[:2]
        shard.parent.mkdir(parents=True, exist_ok=True)
        shard.write_bytes(b"not a folder")
        blocked.append(shard)
    summary = ingest.ingest_inbox(data_layout, now=NIGHT1)
    (r,) = summary.archives
    assert r.status == "retry_later" and src.read_bytes() == data
    assert "/" not in r.reason and "Team" not in r.reason
    assert rows(data_layout, "SELECT count(*) FROM archives") == [(0,)]
    assert rows(data_layout, "SELECT count(*) FROM messages") == [(0,)]
    events = rows(data_layout, "SELECT event FROM audit_log ORDER BY seq")
    assert ("archive_retry_later",) in events and ("archive_quarantined",) not in events
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        c = ingest.check_ingest(con, data_layout, summary)
        assert c.every_inbox_file_accounted_for and c.retry_later_this_run == 1 and c.lake_matches_warehouse
    for shard in blocked:
        shard.unlink()
    (r,) = ingest.ingest_inbox(data_layout, now=NIGHT2).archives
    assert (r.status, r.new_message_count, r.media_count) == ("ingested", 11, 2)
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        assert audit.verify(con).ok


def test_a_second_copy_in_the_night_it_was_quarantined_is_a_duplicate(data_layout):
    drop(data_layout, "a/notities.txt", "Boodschappenlijst\nmelk\n" * 5)
    drop(data_layout, "b/notities.txt", "Boodschappenlijst\nmelk\n" * 5)
    summary = ingest.ingest_inbox(data_layout, now=NIGHT1)
    assert [a.status for a in summary.archives] == ["quarantined", "duplicate"]


def test_expired_quarantined_folders_are_removed(data_layout):
    drop(data_layout, "kapot/_chat.txt", "geen chat\n" * 3)
    drop(data_layout, "kapot/foto.jpg", b"\xff\xd8")
    (q,) = ingest.ingest_inbox(data_layout, now=NIGHT1).archives
    assert q.status == "quarantined" and (data_layout.quarantine / q.archive_id).is_dir()
    ingest.ingest_inbox(data_layout, now=NIGHT1 + timedelta(days=31), quarantine_retention_days=30)
    assert list(data_layout.quarantine.iterdir()) == []


def test_a_folder_of_the_inbox_that_cannot_be_read_waits_for_the_next_night(data_layout, monkeypatch):
    """Permissions on the data folder are the system's business: the folder stays, nothing is blamed."""
    from o3_governance.ingest import pipeline

    drop(data_layout, "Team/" + file_name("nl"), chat_text("nl"))
    drop(data_layout, "Team/foto.jpg", b"\xff\xd8")
    real = pipeline.open_container

    def denied(path, *a, **k):
        if path.is_dir():
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, *a, **k)

    monkeypatch.setattr(pipeline, "open_container", denied)
    (r,) = ingest.ingest_inbox(data_layout, now=NIGHT1).archives
    assert (r.status, r.reason) == ("retry_later", "PermissionError EACCES")
    assert (data_layout.inbox / "Team" / "foto.jpg").exists()
    assert rows(data_layout, "SELECT count(*) FROM archives") == [(0,)]
