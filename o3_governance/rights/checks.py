"""What the register's Dagster asset reports and checks, as plain values (the shell turns them into
metadata and an asset check): counts by status, active restrictions, and the deadline check that
warns about open requests due within ``DEADLINE_WARNING_DAYS`` or past their due date."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb

from o3_governance.rights import register, restriction
from o3_governance.vocabulary import DSR_REQUESTS


@dataclass(frozen=True)
class RegisterState:
    by_status: dict[str, int]
    active_restrictions: int
    deadlines: register.DeadlineStatus

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    def metadata(self) -> dict[str, int]:
        """Counts only (request ids go to the check's metadata, never identifiers)."""
        return {
            "dagster/row_count": self.total,
            "open_requests": self.deadlines.open_requests,
            "completed": self.by_status.get("completed", 0),
            "rejected": self.by_status.get("rejected", 0),
            "failed": self.by_status.get("failed", 0),
            "active_restrictions": self.active_restrictions,
            f"due_within_{register.DEADLINE_WARNING_DAYS}_days": len(self.deadlines.due_soon),
            "overdue": len(self.deadlines.overdue),
        }


def register_state(con: duckdb.DuckDBPyConnection, today: date) -> RegisterState:
    """The register as of ``today`` (the shell's date: ``O3_AS_OF`` or today in Brussels)."""
    register.ensure_schema(con)
    deadlines = register.deadline_status(con, today)
    by_status = dict(con.execute(f"SELECT status, count(*) FROM {DSR_REQUESTS} GROUP BY status").fetchall())
    return RegisterState(by_status, restriction.active_restrictions(con), deadlines)


@dataclass(frozen=True)
class CheckOutcome:
    passed: bool
    metadata: dict[str, Any]


def deadline_check(status: register.DeadlineStatus) -> CheckOutcome:
    """Passes when no open request is due soon or overdue; the metadata names their request ids."""
    return CheckOutcome(
        passed=not status.due_soon and not status.overdue,
        metadata={"overdue": len(status.overdue),
                  f"due_within_{register.DEADLINE_WARNING_DAYS}_days": len(status.due_soon),
                  "overdue_request_ids": ", ".join(status.overdue) or "none",
                  "due_soon_request_ids": ", ".join(status.due_soon) or "none"})
