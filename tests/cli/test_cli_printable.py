"""The deletion-list table prints chat names without the control and bidi characters that would
break a row or reorder what the reviewer reads."""
from datetime import date, datetime, timezone

from o3_governance.cli import main
from o3_governance.retention import decide
from o3_governance.retention.policy import parse_policy
from o3_governance.storage import warehouse

from support.retention import SIMPLE_POLICY, add_message

SPOOFED = "Werf \u202eexe.gpj\u202c Gent\nrule-x delete 9999"


def test_the_deletion_list_table_neutralises_chat_names(data_layout, capsys):
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        add_message(con, "a", day=date(2020, 1, 1), chat=SPOOFED)
        add_message(con, "b", day=date(2020, 1, 1), chat="Werf Leuven")
        decide.compute(con, parse_policy(SIMPLE_POLICY), date(2026, 6, 1),
                       now=datetime(2026, 6, 1, 3, tzinfo=timezone.utc))
    assert main(["deletion-list"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("Werf")]
    assert len(rows) == 2                                   # one line per chat: the newline did not split one
    assert "\u202e" not in out and "\u202c" not in out
    assert rows[0].startswith("Werf Leuven") and rows[1].startswith("Werf exe.gpj Gent\ufffdrule-x")
