from datetime import datetime, timezone

from o3_governance.ingest import LocalTimeConverter, OccurrenceCounter, message_id_for
from o3_governance.lake import chat_id_for


def utc(*a):
    return datetime(*a, tzinfo=timezone.utc)


def test_winter_and_summer_offsets():
    conv = LocalTimeConverter()
    assert conv.to_utc(datetime(2024, 1, 15, 12, 0)) == utc(2024, 1, 15, 11, 0)
    assert conv.to_utc(datetime(2024, 7, 15, 12, 0)) == utc(2024, 7, 15, 10, 0)


def test_spring_forward_gap_is_read_with_the_offset_before_it():
    conv = LocalTimeConverter()
    # 2024-03-31 02:30 does not exist in Brussels; it is read as 03:30 CEST = 01:30 UTC.
    assert conv.to_utc(datetime(2024, 3, 31, 1, 59)) == utc(2024, 3, 31, 0, 59)
    assert conv.to_utc(datetime(2024, 3, 31, 2, 30)) == utc(2024, 3, 31, 1, 30)
    assert conv.to_utc(datetime(2024, 3, 31, 3, 0)) == utc(2024, 3, 31, 1, 0)


def test_autumn_repeated_hour_takes_the_first_reading():
    conv = LocalTimeConverter()
    assert conv.to_utc(datetime(2024, 10, 27, 1, 59)) == utc(2024, 10, 26, 23, 59)
    assert conv.to_utc(datetime(2024, 10, 27, 2, 30)) == utc(2024, 10, 27, 0, 30)
    assert conv.to_utc(datetime(2024, 10, 27, 3, 0)) == utc(2024, 10, 27, 2, 0)


def test_cached_hours_do_not_leak_between_days():
    conv = LocalTimeConverter()
    conv.to_utc(datetime(2024, 3, 30, 2, 30))
    assert conv.to_utc(datetime(2024, 3, 30, 2, 45)) == utc(2024, 3, 30, 1, 45)
    assert conv.to_utc(datetime(2024, 4, 1, 2, 45)) == utc(2024, 4, 1, 0, 45)


def test_occurrence_counts_identical_messages_at_the_same_time():
    occ = OccurrenceCounter()
    t = datetime(2024, 1, 1, 9, 0)
    assert [occ.next(t, "Ann", "ok"), occ.next(t, "Ann", "ok"), occ.next(t, "Bob", "ok")] == [0, 1, 0]


def test_occurrence_memory_is_bounded():
    occ = OccurrenceCounter(max_times=10)
    for minute in range(100):
        occ.next(datetime(2024, 1, 1, 9, 0).replace(minute=minute % 60, hour=9 + minute // 60), "A", "x")
    assert len(occ._by_time) <= 11


def test_message_id_is_stable_and_depends_on_each_part():
    t = datetime(2024, 1, 1, 9, 0)
    base = message_id_for("Werf", t, "Ann", "hallo", 0)
    assert base == message_id_for("Werf", t, "Ann", "hallo", 0)
    assert len({base, message_id_for("Werf2", t, "Ann", "hallo", 0), message_id_for("Werf", t, "Bob", "hallo", 0),
                message_id_for("Werf", t, "Ann", "hallo!", 0), message_id_for("Werf", t, "Ann", "hallo", 1),
                message_id_for("Werf", t.replace(minute=1), "Ann", "hallo", 0)}) == 6


def test_chat_id_is_not_the_name():
    cid = chat_id_for("Jan Peeters")
    assert len(cid) == 16 and "Jan" not in cid and cid == chat_id_for("Jan Peeters")
