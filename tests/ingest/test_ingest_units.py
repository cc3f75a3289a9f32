"""The vectorised parts of ingest: instants across DST, message ids (v2), chat ids."""
from datetime import datetime, timezone

import pyarrow as pa
import pytest

from o3_governance.ingest import identity, matching, pipeline
from o3_governance.ingest.registry import ArchiveResult
from o3_governance.purge.tombstones import ensure_purged_schema
from o3_governance.storage import lake, warehouse


def staged(tmp_path, rows, message_type="text"):
    """rows: (chat_name, sent_local, author, body, line_no) → the messages rows ingest would add."""
    con = warehouse.connect(tmp_path / "w.duckdb")
    ensure_purged_schema(con)
    matching.spellings_table(con)
    full = [dict(member=1, chat_name=c, chat_key=None, source_format="android", language="nl", sent_local=t,
                 author=a, author_id=None, author_phone=None, message_type=message_type, body=b, attachment=None,
                 media_id=None, declared_sha256=None, edited=False, line_no=n, source_id=None)
            for c, t, a, b, n in rows]
    batch = pa.Table.from_pylist(full, schema=pipeline.parsed_schema())  # noqa: F841 - read in SQL
    t = matching.Tables("arch1")
    con.execute(f"CREATE TABLE {t.staging} AS SELECT * FROM batch")
    matching.key(con, t)
    matching.match_and_add(con, t, "arch1", ArchiveResult("arch1", "x.txt", "ingested"))
    out = con.execute(f"SELECT line_no, message_id, chat_id, sent_at, local_date, month FROM {t.pending} "
                      "ORDER BY line_no").fetchall()
    con.close()
    (tmp_path / "w.duckdb").unlink()
    return out


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
def test_local_time_becomes_the_right_instant(tmp_path, local, expected):
    ((_, _, _, sent_at, local_date, month),) = staged(tmp_path, [("Werf", local, "Ann", "x", 1)])
    assert sent_at == expected
    assert local_date == local.date() and month == local.strftime("%Y-%m")


def test_identical_messages_get_distinct_ids_by_occurrence(tmp_path):
    t = datetime(2024, 1, 1, 9, 0)
    out = staged(tmp_path, [("Werf", t, "Ann", "ok", 1), ("Werf", t, "Ann", "ok", 2), ("Werf", t, "Bob", "ok", 3),
                            ("Werf", t, None, "ok", 4), ("Werf", t, None, "ok", 5)])
    assert len({r[1] for r in out}) == 5


def test_message_id_depends_on_each_part_and_only_on_them(tmp_path):
    t = datetime(2024, 1, 1, 9, 0)
    base = staged(tmp_path, [("Werf", t, "Ann", "hallo", 1)])[0][1]
    assert staged(tmp_path, [("Werf", t, "Ann", "hallo", 77)])[0][1] == base  # position in the file does not matter
    variants = [("Werf2", t, "Ann", "hallo"), ("Werf", t, "Bob", "hallo"), ("Werf", t, "Ann", "hallo!"),
                ("Werf", t.replace(minute=1), "Ann", "hallo")]
    ids = {staged(tmp_path, [(*v, 1)])[0][1] for v in variants}
    assert len(ids) == 4 and base not in ids and all(len(i) == 32 for i in ids)


@pytest.mark.parametrize("message_type", ["media", "deleted", "system"])
def test_the_text_of_placeholders_is_not_part_of_the_id(tmp_path, message_type):
    """WhatsApp writes a media, deleted or system line in the phone's language (or names the attached
    file): the id of such a message does not depend on that text."""
    t = datetime(2024, 1, 1, 9, 0)
    a = staged(tmp_path, [("Werf", t, "Ann", "<Media omitted>", 1)], message_type)[0][1]
    b = staged(tmp_path, [("Werf", t, "Ann", "IMG-20240101-WA0001.jpg (bestand bijgevoegd)", 1)], message_type)[0][1]
    assert a == b


def test_chat_id_of_a_new_chat_is_todays_and_not_the_name(tmp_path):
    ((_, _, chat_id, *_),) = staged(tmp_path, [("Jan Peeters", datetime(2024, 1, 1), "Jan", "x", 1)])
    assert chat_id == lake.chat_id_for("Jan Peeters") and "Jan" not in chat_id and len(chat_id) == 16


def test_cloud_api_ids_are_their_wamid_alone():
    assert identity.wamid_id("wamid.A") == identity.wamid_id("wamid.A") != identity.wamid_id("wamid.B")
    assert len(identity.wamid_id("wamid.A")) == 32


def test_placeholder_spellings_cover_what_whatsapp_writes():
    spell = identity.placeholder_spellings()
    for word in ("<Media omitted>", "<Media weggelaten>", "<Médias omis>", "image omitted", "GIF omitted",
                 "Contact card omitted"):
        assert word in spell["media"], word
    for word in ("This message was deleted", "This message was deleted.", "Dit bericht is verwijderd",
                 "Ce message a été supprimé", "You deleted this message"):
        assert word in spell["deleted"], word


def cand(chat_id, overlap, known, same_name, name="Werf", ie=0, ii=0):
    return identity.Candidate(chat_id, name, overlap, known, same_name, ie, ii)


def test_decide_joins_the_best_overlap_and_says_how():
    d = identity.decide("Werf - Copy", "Werf - Copy", 100, [cand("a", 80, 100, False), cand("b", 10, 20, False)],
                        "arch", "z")
    assert (d.chat_id, d.chat_match, d.chat_name) == ("a", "content", "Werf")
    d = identity.decide("Werf", "Werf", 100, [cand("a", 80, 100, True)], "arch", "a")
    assert (d.chat_id, d.chat_match) == ("a", "name")


def test_decide_needs_enough_overlap():
    # 4 of 100 in common: below 5 and below 30 % of the smaller chat → not the same chat
    d = identity.decide("Other", "Other", 100, [cand("a", 4, 100, False)], "arch", "z")
    assert (d.chat_id, d.chat_match) == ("z", "new")
    # a short chat: all of its 3 messages in common is enough
    d = identity.decide("Other", "Other", 3, [cand("a", 3, 100, False)], "arch", "z")
    assert d.chat_id == "a"
    # 20 in common but the smaller side has 100: 20 < 30 → not enough
    d = identity.decide("Other", "Other", 100, [cand("a", 20, 500, False)], "arch", "z")
    assert d.chat_match == "new"


def test_same_name_but_other_content_is_a_new_chat_with_its_own_id():
    clash = cand("a", 0, 50, True, ie=20, ii=20)
    d = identity.decide("Werf", "Werf", 50, [clash], "arch1", "a")
    assert d.chat_match == "new" and d.chat_id == identity.clash_chat_id("Werf", "arch1") != "a"
    # no shared time range: a later export of the same-named chat → joined by name
    later = cand("a", 0, 50, True, ie=0, ii=0)
    assert identity.decide("Werf", "Werf", 50, [later], "arch1", "a").chat_match == "name"
