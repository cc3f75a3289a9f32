"""The erasure scenario of issue 12, through the real nightly: a person in others' attachments and file
names, in a quarantined export of his chat, in a duplicate's registry row, in temporary files, written
"Van den Broeck, Wout", "Van den Broeck Wout", "W. Van den Broeck" and "VdB" (a directory alias);
access → erasure → a night → an older re-export → another night. Then every byte of the data folder
and the Dagster home (every store of ``stores.STORES``) is searched: nothing of him is left, and no
media file is left that no message references.

Verify the same on a real installation: ``python -m o3_governance.storage.stores --data-dir DIR
--dagster-home DIR --needle "…" …`` (see the README's erasure section)."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import dagster as dg
import phonenumbers
import pytest

from o3_governance.definitions import defs
from o3_governance.storage import stores, warehouse
from support.dagster_resources import resources
from support.rights import run

NAME = "Wout Van den Broeck"
PHONE = "+32478316254"
EMAIL = "wout.vandenbroeck@example.be"
# Every spelling searched for. Long ones in every byte (raw and decoded); short ones ("VdB", "Wout")
# as whole words in text and decoded values only: three random bytes match somewhere in megabytes.
LONG = [NAME, "Van den Broeck, Wout", "Van den Broeck Wout", "W. Van den Broeck", "W Van den Broeck",
        "Van den Broeck", "Vandenbroeck", EMAIL, "vandenbroeck@", PHONE, "+32 478 31 62 54", "0478 31 62 54",
        "0478316254", "0032478316254", "0478/31.62.54", "478 31 62 54", "478316254"]
SHORT = ["VdB", "Wout"]
PHOTO = b"\xff\xd8\xff\xe0 JFIF portrait of the person 9f8e7d6c5b4a"
OTHER_PHOTO = b"\xff\xd8\xff\xe0 JFIF the scaffolding on site 0a1b2c3d"

CARD = ("BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Van den Broeck;Wout;;;\r\n"
        "FN:Wout Van den Broeck\r\nTEL;CELL:+32 478 31 62 54\r\nEMAIL;INTERNET:wout.vandenbroeck@\r\n"
        " example.be\r\nNOTE;ENCODING=QUOTED-PRINTABLE:Werfleider =\r\nGent\r\nEND:VCARD\r\n").encode()

HEAD = """01/03/2023, 08:00 - Piet Claes: Goeiemorgen allemaal
01/03/2023, 08:01 - Piet Claes: Wout Van den Broeck.vcf (file attached)
01/03/2023, 08:02 - Anna Maes: IMG-Wout-0478316254.jpg (file attached)
01/03/2023, 08:03 - Piet Claes: IMG-20230301-WA0003.jpg (file attached)
01/03/2023, 08:04 - Wout Van den Broeck: Ik ben er om 8u, bel 0478 31 62 54
"""
TAIL = """02/03/2023, 09:00 - Piet Claes: Van den Broeck, Wout komt morgen de stellingen halen
02/03/2023, 09:01 - Anna Maes: Van den Broeck Wout heeft de sleutel van de werf
02/03/2023, 09:02 - Piet Claes: W. Van den Broeck belt straks over de levering
02/03/2023, 09:03 - Anna Maes: VdB is er om 8u, zijn mail is wout.vandenbroeck@example.be
02/03/2023, 09:04 - Anna Maes: Anna Maes komt om 15u met de kraan
"""
DIRECTORY = """- name: Wout Van den Broeck
  phone: 0478 31 62 54
  email: wout.vandenbroeck@example.be
  aliases: [VdB]
- name: Piet Claes
  phone: +32 472 11 22 33
- name: Anna Maes
  phone: "0476 00 11 22"
"""
POLICY = """timezone: Europe/Brussels
rules:
  - name: default
    retain_days: 36500
    action: delete
"""


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _group_export(text: str) -> bytes:
    return _zip({"WhatsApp Chat with Werf Gent.txt": text.encode(), "Wout Van den Broeck.vcf": CARD,
                 "IMG-Wout-0478316254.jpg": PHOTO, "IMG-20230301-WA0003.jpg": OTHER_PHOTO})


def _night(instance) -> None:
    result = defs.resolve_job_def("nightly_governance").execute_in_process(instance=instance, resources=resources())
    assert result.success


def _hits(layout, home: Path) -> list[tuple[str, str]]:
    roots = [p for paths in stores.store_paths(layout, home).values() for p in paths]
    long_hits = [(where, LONG[i]) for where, i in stores.find_bytes(roots, LONG)]
    short_hits = [(where, SHORT[i]) for where, i in stores.find_words(roots, SHORT)]
    return long_hits + short_hits


@pytest.mark.e2e
def test_erasure_leaves_no_byte_of_the_person_in_any_store(data_layout, dagster_home, tmp_path, monkeypatch):
    assert phonenumbers.is_valid_number(phonenumbers.parse(PHONE))
    (tmp_path / "directory.yaml").write_text(DIRECTORY, encoding="utf-8")
    (tmp_path / "policy.yaml").write_text(POLICY, encoding="utf-8")
    monkeypatch.setenv("O3_DIRECTORY_FILE", str(tmp_path / "directory.yaml"))
    monkeypatch.setenv("O3_POLICY_FILE", str(tmp_path / "policy.yaml"))
    monkeypatch.setenv("O3_AS_OF", "2026-11-24")
    layout = data_layout
    inbox = layout.inbox
    full = _group_export(HEAD + TAIL)
    (inbox / "WhatsApp Chat with Werf Gent.zip").write_bytes(full)
    # the same bytes again, saved under his name: a duplicate whose registry row names him
    (inbox / "Werf Gent voor Wout Van den Broeck.zip").write_bytes(full)
    # an export of his chat that cannot be read, and a zip of his photo alone: quarantined
    (inbox / "WhatsApp Chat - Wout Van den Broeck.zip").write_bytes(
        _zip({"_chat.txt": f"{NAME}\n0478 31 62 54\n{EMAIL}\n".encode()}))
    (inbox / "fotos.zip").write_bytes(_zip({"IMG-Wout-0478316254.jpg": PHOTO}))
    # a staging copy left by a crash
    (layout.work / "media-4242.part").write_bytes(f"{NAME} 0478 31 62 54 ".encode() * 1000)
    (layout.work / "lake-0123456789abcdef0123").mkdir()
    (layout.work / "lake-0123456789abcdef0123" / "part-0.txt").write_text(f"Van den Broeck, Wout {EMAIL}")

    with dg.DagsterInstance.get() as instance:
        _night(instance)
        with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
            statuses = dict(con.execute("SELECT status, count(*) FROM archives GROUP BY 1").fetchall())
        assert statuses.get("duplicate") == 1 and statuses.get("quarantined", 0) >= 1, statuses
        assert not (layout.work / "media-4242.part").exists()   # the night's first step cleaned tmp/

        assert run(layout, "ACC-W", "access", phone="+32 478 31 62 54", name=NAME, email=EMAIL).status == "completed"
        (layout.work / "media-777.part").write_bytes(f"W. Van den Broeck {PHONE}".encode())   # another crash
        before = _hits(layout, dagster_home)
        places = {where.split(str(layout.root) + "/", 1)[-1].split("/", 1)[0] for where, _ in before}
        assert {"quarantine", "media", "lake", "warehouse.duckdb", "exports", "tmp"} <= places, places
        assert {n for _, n in before} >= {"Van den Broeck, Wout", "Van den Broeck Wout", "W. Van den Broeck",
                                          "VdB", "0478316254", EMAIL}

        result = run(layout, "ERA-W", "erasure", phone="0478/31.62.54", name=NAME, email=EMAIL)
        assert result.status == "completed", result.outcome
        assert result.outcome["attachment_names_erased"] == 2 and result.outcome["media_mentioning_removed"] == 2
        assert result.outcome["registry_file_names_erased"] >= 2 and result.outcome["kept_copies_removed"] >= 2
        _night(instance)

        # an older export of the group chat (its first lines, with his card and photo) comes in after
        (inbox / "WhatsApp Chat with Werf Gent.zip").write_bytes(_group_export(HEAD))
        _night(instance)

    assert _hits(layout, dagster_home) == []
    assert stores.unreferenced_media(layout, stores.referenced_media(layout)) == []
    assert stores.unlisted(layout, dagster_home) == []
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        attachments = {r[0] for r in con.execute("SELECT attachment FROM messages WHERE attachment IS NOT NULL")
                       .fetchall()}
        bodies = [r[0] for r in con.execute("SELECT body FROM messages WHERE chat_name = 'Werf Gent'").fetchall()]
        swept = con.execute("SELECT details FROM audit_log WHERE event = 'stores_swept'").fetchall()
    # others' data stays: the file names keep their kind, the other photo and the other messages stay
    assert attachments == {"[erased].vcf", "IMG-[erased]-[erased].jpg", "IMG-20230301-WA0003.jpg"}
    assert "Anna Maes komt om 15u met de kraan" in bodies and "[erased] komt morgen de stellingen halen" in bodies
    assert len(list(layout.media.rglob("*.jpg"))) == 1
    # Every night swept the stores; the older re-export left nothing to sweep: ingest stores media only for
    # the messages it adds (the sweep itself is shown in tests/purge/test_stores.py).
    assert len(swept) >= 3
