"""The report on the tables the other domains really write: the demo inbox ingested, the retention
engine's decisions, deletion list register and certificate, the rights register. Proves the report
reads their column names (not guesses) and still shows no person: the approver's name included."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest

from o3_governance import demo
from o3_governance.settings import DEFAULT_POLICY_FILE
from o3_governance.retention import dispose
from o3_governance.retention import policy as policy_mod
from o3_governance.rights import register
from o3_governance.storage import warehouse

from support.reporting import NOW, all_report_text, build, demo_night

AS_OF = date(2026, 11, 24)
APPROVER = "Nathalie Vermeulen-DPO"


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture(scope="module")
def night(tmp_path_factory):
    from o3_governance.storage.layout import DataLayout

    root = tmp_path_factory.mktemp("integ")
    layout = DataLayout(root / "data").ensure()
    demo_night(layout)     # demo inbox ingested, planted findings, retention decided on the default policy
    policy = policy_mod.load_policy(DEFAULT_POLICY_FILE)
    with warehouse.open_warehouse(layout.warehouse) as con:
        register.ensure_schema(con)
        con.execute("INSERT INTO dsr_requests (request_id, kind, received_at, received_on, due_date, status, subject_key) "
                    "VALUES ('DSR-A', 'access', ?, DATE '2026-10-10', DATE '2026-11-10', 'received', 'k1'), "
                    "('DSR-B', 'erasure', ?, DATE '2026-11-20', DATE '2026-12-20', 'completed', 'k2')",
                    [datetime(2026, 10, 10, tzinfo=timezone.utc), datetime(2026, 11, 20, tzinfo=timezone.utc)])
        list_id, items = con.execute("SELECT list_id, item_count FROM deletion_lists "
                                     "WHERE status = 'awaiting_approval'").fetchone()
    before = build(layout, AS_OF)
    return layout, list_id, items, before, before.html.read_text(encoding="utf-8"), policy


@pytest.fixture(scope="module")
def disposed(night):
    """The same night after the DPO approved the list and the retention engine carried it out."""
    layout, list_id, items, _, _, policy = night
    dispose.apply_deletion_list(list_id, APPROVER, layout=layout, policy=policy, as_of=AS_OF, clock=lambda: NOW,
                                flag_exports=register.record_affected_exports)
    return layout, list_id, items, build(layout, AS_OF)


def test_retention_picture_from_the_retention_engine(night):
    layout, list_id, items, before, before_html, _ = night
    text = _text(before_html)
    assert before.counts["messages_held"] > 0           # the demo's "Client Bruxelles" chat is under the hold
    assert "dispute-bruxelles" in text and "Open dispute with the client" in text
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        held = con.execute("SELECT count(*) FROM retention WHERE legal_hold = 'dispute-bruxelles'").fetchone()[0]
    assert before.counts["messages_held"] == held
    assert before.counts["deletion_list_messages"] == items > 0
    assert before.counts["deletion_lists_awaiting_approval"] == 1
    shown = f"{items:,}".replace(",", " ")
    assert re.search(rf"{list_id} \S+ 0 {shown} awaiting_approval", text)   # listed today: 0 days old


def test_a_list_age_is_never_negative(night):
    """A report made with a clock earlier than the list (an audit re-run, a machine with a wrong
    clock) shows the list as 0 days old, not -3."""
    layout, list_id, items, *_ = night
    result = build(layout, AS_OF - timedelta(days=10), now=NOW - timedelta(days=3))
    text = _text(result.html.read_text(encoding="utf-8"))
    shown = f"{items:,}".replace(",", " ")
    assert re.search(rf"{list_id} \S+ 0 {shown} awaiting_approval", text)
    assert not re.search(rf"{list_id} \S+ -\d+ ", text)


def test_certificate_and_list_register_after_disposal(disposed):
    layout, list_id, items, after = disposed
    html = after.html.read_text(encoding="utf-8")
    text = _text(html)
    assert after.counts["deletion_certificates"] == 1
    assert after.counts["deletion_lists_awaiting_approval"] == 0
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        sha, = con.execute("SELECT certificate_sha256 FROM deletion_certificates WHERE list_id = ?", [list_id]).fetchone()
    assert sha and sha in html
    section = text.split("Deletions carried out and their certificates")[1].split("Data-subject requests")[0]
    assert "complete" in section and "deleted" in section and "anonymised" in section
    assert "applied" in text


def test_dsr_deadlines_from_the_rights_register(night):
    _, _, _, before, before_html, _ = night
    text = _text(before_html)
    assert before.counts["dsr_open"] == 1 and before.counts["dsr_overdue"] == 1
    assert re.search(r"DSR-A access 2026-10-10 2026-11-10 -14 received", text)


def test_report_links_the_certificate(disposed):
    layout, list_id, _, after = disposed
    name = f"deletion-certificate-{list_id}.json"
    assert (layout.reports / "certificates" / name).is_file()
    assert f'href="../certificates/{name}"' in after.html.read_text(encoding="utf-8")
    assert f'href="certificates/{name}"' in (layout.reports / "index.html").read_text(encoding="utf-8")


def test_no_person_in_any_report_file_including_the_approver(disposed):
    """Reports (dated folders and the index) name nobody, not even the approver. The certificate
    itself, the retention domain's file, names the approver (accountability) but no data subject."""
    layout, *_ = disposed
    texts = all_report_text(layout.reports)
    reports = "\n".join(t for name, t in texts.items() if not name.startswith("certificates/")).lower()
    assert APPROVER.lower() not in reports and "vermeulen" not in reports
    everything = "\n".join(texts.values()).lower()
    assert [s for s in demo.PLANTED.strings() if s.lower() in everything] == []
    assert [c.chat_name for c in demo.CHATS if c.chat_name.lower() in everything] == []

