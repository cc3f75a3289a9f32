"""What the nightly report says, one module a section, read through the queries each domain
publishes (``storage.queries``, ``scanning.queries``, ``retention.queries``, ``rights.queries``):
counts, ids and dates only. A table that does not exist yet makes its section "not available"
instead of failing the report. Nothing here selects message bodies, authors, phone numbers, chat
names or file names, and nothing here knows another domain's column names or status words."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import duckdb

from o3_governance.reporting import policyview
from o3_governance.vocabulary import ARCHIVE_STATUSES
from o3_governance.reporting.sections import attachments
from o3_governance.reporting.sections import (archives, audit, deletion_lists, deletions, dsr, findings, messages,
                                              retention, special)
from o3_governance.reporting.sections.base import Section, not_available


@dataclass
class ReportData:
    as_of: date
    generated_at: datetime
    policy: policyview.PolicyView
    archives: Section
    messages: Section
    findings: Section
    special: Section
    retention: Section
    deletion_lists: Section
    deletions: Section
    dsr: Section
    audit: Section
    attachments: Section = field(default_factory=lambda: not_available(attachments.NOT_SCANNED))

    def summary_counts(self) -> dict[str, int]:
        """Headline numbers: for the Dagster metadata and summary.json (counts only)."""
        out: dict[str, int] = {}
        if self.archives.available:
            for status in ARCHIVE_STATUSES:
                out[f"archives_{status}"] = int(self.archives.data["by_status"].get(status, 0))
        if self.messages.available:
            out["messages"] = int(self.messages.data["total"])
            out["chats"] = len(self.messages.data["per_chat"])
        if self.findings.available:
            out["findings"] = int(self.findings.data["total"])
        if self.special.available:
            out["special_category_findings"] = int(sum(r["findings"] for r in self.special.data["per_chat"]))
        if self.retention.available:
            out["messages_held"] = int(self.retention.data["held_total"])
            out["messages_due_next_12_months"] = int(sum(n for _, n in self.retention.data["due_by_month"]))
        if self.deletion_lists.available:
            out["deletion_list_messages"] = int(self.deletion_lists.data["current_list_rows"])
            out["deletion_lists_awaiting_approval"] = len(self.deletion_lists.data["awaiting"])
        if self.deletions.available:
            out["deletion_certificates"] = len(self.deletions.data["certificates"])
        if self.attachments.available:
            out["attachments"] = int(self.attachments.data["files"])
            out["attachments_unreadable"] = int(self.attachments.data["unreadable_total"])
        if self.dsr.available:
            out["dsr_open"] = int(self.dsr.data["open"])
            out["dsr_overdue"] = int(self.dsr.data["overdue"])
        return out


def collect(con: duckdb.DuckDBPyConnection, as_of: date, policy: policyview.PolicyView, generated_at: datetime,
            *, approval_warn_days: int) -> ReportData:
    """Every section. ``generated_at`` is the clock when the report is made (a list's age counts from
    it); ``approval_warn_days``: a deletion list waiting longer is flagged."""
    return ReportData(
        as_of=as_of, generated_at=generated_at, policy=policy,
        archives=archives.section(con), messages=messages.section(con), findings=findings.section(con),
        special=special.section(con), retention=retention.section(con, as_of, policy),
        deletion_lists=deletion_lists.section(con, generated_at.date(), approval_warn_days,
                                              approvers_required=policy.approvers_required),
        deletions=deletions.section(con), dsr=dsr.section(con, as_of), audit=audit.section(con),
        attachments=attachments.section(con))
