"""The demo night end to end: the project's demo inbox is ingested for real, findings are placed
where the demo planted them, and no planted identifier, name or message text reaches any report file."""
from __future__ import annotations

import re

import pytest

from o3_governance import demo
from o3_governance.reporting import leakcheck
from o3_governance.storage import warehouse

from support.reporting import AS_OF, all_report_text, build
from support.reporting import demo_night as build_demo_night


@pytest.fixture(scope="module")
def demo_night(tmp_path_factory):
    from o3_governance.storage.layout import DataLayout

    root = tmp_path_factory.mktemp("demo")
    layout = DataLayout(root / "data").ensure()
    demo.write_demo_inbox(root / "names", seed=7)
    names = [p.name for p in (root / "names").iterdir()]
    placed = build_demo_night(layout)
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        bodies = [r[0] for r in con.execute("SELECT DISTINCT body FROM messages WHERE message_type = 'text'").fetchall()]
        chats = [r[0] for r in con.execute("SELECT DISTINCT chat_name FROM messages").fetchall()]
        authors = [r[0] for r in con.execute("SELECT DISTINCT author FROM messages WHERE author IS NOT NULL").fetchall()]
    result = build(layout, AS_OF)
    return layout, result, placed, bodies, chats, authors, names


def test_demo_report_was_built_from_real_data(demo_night):
    layout, result, placed, bodies, chats, *_ = demo_night
    assert placed > 20 and len(bodies) > 500 and len(chats) >= 5
    assert result.counts["messages"] > 1000 and result.counts["findings"] == placed
    assert result.counts["special_category_findings"] > 0


def test_no_planted_identifier_name_or_message_text_in_any_report_file(demo_night):
    layout, result, placed, bodies, chats, authors, file_names = demo_night
    texts = all_report_text(layout.reports)
    assert any(name.endswith("report.html") for name in texts)
    blob = "\n".join(texts.values()).lower()
    planted = demo.PLANTED.strings() + [s.text for s in demo.SENTENCES]
    assert len(planted) > 30
    assert [s for s in planted if s.lower() in blob] == []
    # every person's name, phone and e-mail, as written and in other spellings of the number
    for person in demo.DEMO_PEOPLE:
        digits = re.sub(r"\D", "", person.phone)
        for value in (person.name, person.phone, digits, person.email):
            assert value.lower() not in blob, "a participant identifier is in a report"
    # every chat name, author and archive file name (chat names can be people's names)
    assert [c for c in chats + authors + file_names if c.lower() in blob] == []
    # and no message text at all: every text message of 15 characters or more
    assert [b for b in bodies if len(b) >= 15 and b.lower() in blob] == []


def test_runtime_leak_guard_passes_on_the_demo_report(demo_night):
    layout, result, *_ = demo_night
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        scan = leakcheck.scan_folder(con, result.folder)
    assert scan.checked > 20 and scan.found == 0
