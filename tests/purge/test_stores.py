"""The store registry (every place personal data can sit, listed once), tmp/ cleaning at the start of
every run, the nightly sweep of unreferenced media, and the byte search that proves an erasure."""
from __future__ import annotations

import gzip
import io
import json
import sqlite3
import zipfile
import zlib
from datetime import datetime, timezone

import pyarrow as pa
import pyarrow.parquet as pq

from o3_governance import purge
from o3_governance.storage import stores, warehouse
from o3_governance.storage.layout import DataLayout

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=timezone.utc)


def test_every_folder_of_the_layout_is_a_listed_store(data_layout):
    listed = {p for paths in stores.store_paths(data_layout).values() for p in paths}
    for folder in (data_layout.inbox, data_layout.raw, data_layout.quarantine, data_layout.lake, data_layout.media,
                   data_layout.reports, data_layout.exports, data_layout.work, data_layout.warehouse):
        assert folder in listed
    assert stores.unlisted(data_layout) == []


def test_a_new_place_in_the_data_folder_is_reported_as_unlisted(data_layout):
    (data_layout.root / "thumbnails").mkdir()
    (data_layout.root / "notes.txt").write_text("x")
    assert [p.name for p in stores.unlisted(data_layout)] == ["notes.txt", "thumbnails"]


def test_dagster_home_is_a_store_when_the_shell_passes_it(data_layout, tmp_path):
    assert stores.store_paths(data_layout)["dagster"] == []
    assert stores.store_paths(data_layout, tmp_path / "dh")["dagster"] == [tmp_path / "dh"]


def test_clean_tmp_removes_our_leftovers_and_never_a_pending_journal(data_layout):
    work = data_layout.work
    (work / "media-123.part").write_bytes(b"x")
    (work / "lake-abc").mkdir()
    (work / "lake-abc" / "part-0.parquet").write_bytes(b"x")
    (work / f"{purge.JOURNAL_PREFIX}gone.json.tmp").write_text("{}")      # its journal is not pending
    (work / f"{purge.JOURNAL_PREFIX}live.json").write_text("{}")          # pending: stays
    (work / f"{purge.JOURNAL_PREFIX}live.json.tmp").write_text("{}")      # the pending journal's file: stays
    (work / "duckdb").mkdir()                                            # DuckDB's spill folder: not ours
    (work / "someone-elses.txt").write_text("x")
    assert stores.clean_tmp(data_layout) == 3
    assert sorted(p.name for p in work.iterdir()) == [
        "duckdb", f"{purge.JOURNAL_PREFIX}live.json", f"{purge.JOURNAL_PREFIX}live.json.tmp", "someone-elses.txt"]
    assert stores.JOURNAL_PREFIX == purge.JOURNAL_PREFIX


def test_clean_tmp_on_a_missing_folder_does_nothing(tmp_path):
    assert stores.clean_tmp(DataLayout(tmp_path / "none")) == 0


def test_every_purge_and_every_resume_starts_by_cleaning_tmp(data_layout):
    (data_layout.work / "media-9.part").write_bytes(b"left by a crash")
    purge.resume_pending(data_layout, now=NOW)
    assert not (data_layout.work / "media-9.part").exists()
    (data_layout.work / "media-10.part").write_bytes(b"left by a crash")
    with warehouse.open_warehouse(data_layout.warehouse):
        pass
    purge.apply_changes(data_layout, now=NOW, delete_ids=["nothing-here"])
    assert not (data_layout.work / "media-10.part").exists()


def _media(layout, sha: str, ext: str = ".jpg", data: bytes = b"img"):
    p = layout.media / sha[:2] / f"{sha}{ext}"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    return p


def test_sweep_deletes_unreferenced_media_with_a_count_and_nothing_personal(data_layout):
    keep, orphan = "a" * 64, "b" * 64
    kept = _media(data_layout, keep)
    gone = _media(data_layout, orphan, ".vcf", b"FN:Someone")
    (data_layout.work / "media-1.part").write_bytes(b"x")
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        con.execute("INSERT INTO messages (message_id, media_sha256) VALUES ('m1', ?)", [keep])
    result = stores.sweep(data_layout, now=NOW, run_id="r1")
    assert (result.tmp_removed, result.media_removed) == (1, 1)
    assert kept.exists() and not gone.exists() and not gone.parent.exists()
    assert stores.unreferenced_media(data_layout, stores.referenced_media(data_layout)) == []
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        (details,) = con.execute("SELECT details FROM audit_log WHERE event = 'stores_swept'").fetchone()
    assert json.loads(details) == {"tmp_entries_removed": 1, "unreferenced_media_removed": 1}


def test_sweep_without_a_warehouse_keeps_media(data_layout):
    p = _media(data_layout, "c" * 64)
    assert stores.sweep(data_layout, now=NOW).media_removed == 0 and p.exists()


def test_find_bytes_opens_zips_parquet_sqlite_gzip_and_compressed_blobs(tmp_path):
    root = tmp_path / "s"
    root.mkdir()
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("deep.txt", "needle-in-nested-zip " * 50)
    with zipfile.ZipFile(root / "a.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("chat.txt", "needle-in-zip " * 50)
        z.writestr("inner.zip", inner.getvalue())
    pq.write_table(pa.table({"body": ["needle-in-parquet " * 50]}), root / "p.parquet", compression="zstd")
    con = sqlite3.connect(root / "events.db")
    con.execute("CREATE TABLE e (body BLOB)")
    con.execute("INSERT INTO e VALUES (?)", [zlib.compress(b"needle-in-sqlite " * 50)])
    con.commit()
    con.close()
    (root / "log.gz").write_bytes(gzip.compress(b"needle-in-gzip " * 50))
    (root / "clean.txt").write_text("nothing")
    needles = ["needle-in-zip", "needle-in-nested-zip", "needle-in-parquet", "needle-in-sqlite", "needle-in-gzip",
               "NEEDLE-IN-ZIP", "absent"]
    found = {i for _, i in stores.find_bytes([root], needles)}
    assert found == {0, 1, 2, 3, 4, 5}


def test_find_bytes_finds_names_of_files_and_reads_duckdb_values(data_layout):
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        con.execute("INSERT INTO messages (message_id, body) VALUES ('m1', 'duckdb-held-text')")
    (data_layout.media / "named-after-someone.jpg").write_bytes(b"\xff\xd8")
    hits = stores.find_bytes([data_layout.root], ["duckdb-held-text", "named-after-someone"])
    assert {i for _, i in hits} == {0, 1}
    assert any("(duckdb messages)" in where for where, i in hits if i == 0)


def test_find_words_matches_whole_words_in_text_only(tmp_path):
    (tmp_path / "a.txt").write_text("VdB komt; vdbx niet")
    (tmp_path / "b.bin").write_bytes(b"\xff\xfe\x00 vdb \x80")
    hits = stores.find_words([tmp_path], ["VdB", "xyz"])
    assert hits == [(str(tmp_path / "a.txt"), 0)]


def test_the_search_command_exits_non_zero_on_a_hit(data_layout, capsys):
    (data_layout.exports / "E1").mkdir()
    (data_layout.exports / "E1" / "m.json").write_text('{"author": "Somebody Special"}')
    assert stores.main(["--data-dir", str(data_layout.root), "--needle", "somebody special"]) == 1
    out = capsys.readouterr().out
    assert "needle 1:" in out and "Somebody Special" not in out
    assert stores.main(["--data-dir", str(data_layout.root), "--needle", "Nobody Else"]) == 0


def test_every_writing_dagster_run_starts_by_cleaning_tmp(data_layout):
    import dagster as dg

    from o3_governance.defs.rights.assets import dsr_register
    from support.dagster_resources import resources

    (data_layout.work / "media-31.part").write_bytes(b"left by a crash")
    (data_layout.work / "unknown.bin").write_bytes(b"not ours")
    assert dg.materialize([dsr_register], resources=resources(data_layout)).success
    assert sorted(p.name for p in data_layout.work.iterdir() if p.name != "duckdb") == ["unknown.bin"]
