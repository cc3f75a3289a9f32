"""Bounded ingest: an over-long line or message quarantines its archive (the line is never read whole),
an archive expanding beyond its cap is quarantined with no partial file left, and once the night's
byte cap is reached the remaining inbox files wait in the inbox for the next night."""
import io
import json
import zipfile
from datetime import datetime, timezone

import dagster as dg
from conftest import zip_bytes

from support.dagster_resources import resources
from o3_governance import ingest
from o3_governance.storage import warehouse
from o3_governance.parsing import NotAnExport
from o3_governance.parsing.model import MediaRef

INGESTED_AT = datetime(2026, 1, 5, 2, 0, tzinfo=timezone.utc)   # the ingest night's clock, passed in

SECRET = "Ann Peeters"
HEADER = f"12/03/2024, 09:01 - {SECRET}: "
CHAT = (f"12/03/2024, 09:00 - {SECRET}: Goeiemorgen\n"
        "12/03/2024, 09:02 - Bram Claes: Ok\n")


def parts(layout):
    return sorted(p.name for p in layout.work.rglob("*.part")) if layout.work.exists() else []


def only_reason(summary, status="quarantined"):
    (result,) = [a for a in summary.archives if a.status == status]
    return result.reason


def test_a_50_mb_single_line_txt_is_quarantined_and_the_night_goes_on(data_layout):
    big = data_layout.inbox / "WhatsApp Chat with Werf Leuven.txt"
    with open(big, "w", encoding="utf-8") as f:
        f.write(HEADER)
        chunk = "x" * (1 << 20)
        for _ in range(50):
            f.write(chunk)
        f.write("\n")
    (data_layout.inbox / "WhatsApp Chat with Werf Gent.txt").write_text(CHAT, encoding="utf-8")
    summary = ingest.ingest_inbox(data_layout, now=INGESTED_AT)   # defaults: O3_MAX_BODY_CHARS = 5 000 000
    assert sorted(a.status for a in summary.archives) == ["ingested", "quarantined"]
    reason = only_reason(summary)
    assert reason == "a line is longer than 5000000 characters"
    assert SECRET not in reason and "xxx" not in reason
    assert not big.exists() and parts(data_layout) == []
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        assert con.execute("SELECT reason FROM archives WHERE status = 'quarantined'").fetchall() == [(reason,)]


def test_a_message_over_the_limit_in_many_lines_is_quarantined(data_layout):
    body = "\n".join(["regel met tekst"] * 500)          # ~8000 characters in short lines
    (data_layout.inbox / "WhatsApp Chat with Werf.txt").write_text(CHAT + HEADER + body + "\n", encoding="utf-8")
    summary = ingest.ingest_inbox(data_layout, now=INGESTED_AT, max_body_chars=2000)
    assert only_reason(summary) == "a message is longer than 2000 characters"


def test_a_zip_member_line_over_the_limit_is_quarantined(data_layout):
    chat = CHAT + HEADER + "y" * 5000 + "\n"
    (data_layout.inbox / "WhatsApp Chat - Werf.zip").write_bytes(zip_bytes({"_chat.txt": chat.encode()}))
    summary = ingest.ingest_inbox(data_layout, now=INGESTED_AT, max_body_chars=2000)
    assert only_reason(summary) == "a line is longer than 2000 characters"


def test_a_cloud_api_body_over_the_limit_is_quarantined(data_layout):
    def payload(body):
        return {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": {
            "metadata": {"display_phone_number": "3220000000"},
            "messages": [{"from": "32470000000", "id": "wamid.1", "timestamp": "1710230400", "type": "text",
                          "text": {"body": body}}]}}]}]}

    (data_layout.inbox / "capture.json").write_text(json.dumps(payload("z" * 3000)), encoding="utf-8")
    (data_layout.inbox / "capture2.jsonl").write_text(json.dumps(payload("w" * 3000)) + "\n", encoding="utf-8")
    summary = ingest.ingest_inbox(data_layout, now=INGESTED_AT, max_body_chars=2000)
    assert [a.reason for a in summary.archives] == ["a message is longer than 2000 characters"] * 2


def test_a_zip_bomb_like_archive_is_quarantined_with_no_partial_file(data_layout):
    # Small members (below the ratio check's size) that together expand far beyond the cap.
    members = {"_chat.txt": CHAT.encode()}
    members.update({f"IMG-{i:04d}.jpg": b"\0" * 200_000 for i in range(40)})
    path = data_layout.inbox / "WhatsApp Chat - Werf.zip"
    path.write_bytes(zip_bytes(members))
    assert path.stat().st_size < 100_000
    summary = ingest.ingest_inbox(data_layout, now=INGESTED_AT, max_archive_bytes=1_000_000)
    assert only_reason(summary) == "zip is too large once uncompressed: archive expands to more than 1000000 bytes"
    assert parts(data_layout) == [] and not any(data_layout.media.rglob("*.jpg"))
    # Within the cap the same archive is ingested.
    path = data_layout.inbox / "WhatsApp Chat - Werf (1).zip"
    path.write_bytes(zip_bytes({**members, "extra.txt": b"1"}))
    assert ingest.ingest_inbox(data_layout, now=INGESTED_AT, max_archive_bytes=10_000_000).archives[0].status == "ingested"


def test_a_media_copy_cut_short_leaves_no_partial_file(data_layout):
    chat = f"12/03/2024, 09:01 - {SECRET}: IMG-1.jpg (bestand bijgevoegd)\n"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("_chat.txt", chat)
        zf.writestr("IMG-1.jpg", b"\xff" * 300_000)
    raw = bytearray(buf.getvalue())
    at = raw.index(b"\xff" * 1000) + 150_000
    raw[at] = 0                                            # CRC error, found at the end of the copy
    (data_layout.inbox / "WhatsApp Chat - Werf.zip").write_bytes(bytes(raw))
    summary = ingest.ingest_inbox(data_layout, now=INGESTED_AT)
    assert only_reason(summary) == "zip member is corrupt (CRC or data error)"
    assert parts(data_layout) == [] and not any(data_layout.media.rglob("*.jpg"))


def test_media_store_stops_at_its_byte_cap_and_removes_the_partial_copy(data_layout):
    store = ingest.MediaStore(data_layout.media, data_layout.work, max_bytes=3 << 20)
    ref = MediaRef(name="VID-1.mp4", size=10, open=lambda: io.BytesIO(b"\1" * (5 << 20)))  # size lies
    try:
        store.put(ref)
    except NotAnExport as exc:
        assert str(exc).endswith(f"archive expands to more than {3 << 20} bytes")
    else:
        raise AssertionError("the cap was not enforced")
    assert parts(data_layout) == [] and not any(data_layout.media.rglob("*.mp4"))


def night_files(layout, n):
    paths = []
    for i in range(n):
        p = layout.inbox / f"WhatsApp Chat with Werf {i}.txt"
        p.write_text(CHAT.replace("Ok", f"Ok {i}"), encoding="utf-8")
        paths.append(p)
    return paths


def test_the_night_cap_leaves_files_in_the_inbox_for_the_next_night(data_layout):
    paths = night_files(data_layout, 3)
    size = paths[0].stat().st_size
    cap = int(size * 2.5)
    first = ingest.ingest_inbox(data_layout, now=INGESTED_AT, max_night_bytes=cap)
    assert [a.status for a in first.archives] == ["ingested", "ingested"]
    assert first.left_in_inbox == 1 and first.bytes_expanded == 2 * size
    assert [p.exists() for p in paths] == [False, False, True]    # oldest first; the last waits, not quarantined
    second = ingest.ingest_inbox(data_layout, now=INGESTED_AT, max_night_bytes=cap)
    assert [a.status for a in second.archives] == ["ingested"] and second.left_in_inbox == 0
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM archives WHERE status = 'quarantined'").fetchone()[0] == 0


def test_a_file_no_night_can_take_is_quarantined_not_left_forever(data_layout):
    paths = night_files(data_layout, 1)
    summary = ingest.ingest_inbox(data_layout, now=INGESTED_AT, max_night_bytes=paths[0].stat().st_size - 1)
    assert summary.left_in_inbox == 0
    assert "archive expands to more than" in only_reason(summary)


def test_the_ingest_asset_reports_files_left_and_stays_green(data_layout, monkeypatch):
    from o3_governance.defs.ingest.assets import ingest_inbox

    paths = night_files(data_layout, 3)
    monkeypatch.setenv("O3_MAX_NIGHT_BYTES", str(int(paths[0].stat().st_size * 1.5)))
    result = dg.materialize([ingest_inbox], resources=resources())
    assert result.success
    meta = {}
    for event in result.get_asset_materialization_events():
        meta.update({k: v.value for k, v in event.materialization.metadata.items()})
    assert meta["left_in_inbox_for_next_night"] == 2 and meta["ingested_this_run"] == 1
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["every_inbox_file_accounted_for"].passed
    assert SECRET not in json.dumps({k: str(v) for k, v in meta.items()})
