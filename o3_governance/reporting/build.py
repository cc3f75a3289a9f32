"""The nightly audit report: one self-contained HTML file, CSV extracts, the Art. 30 record, a
sha256 manifest, in ``reports/<as-of date>/``; then the index and report retention."""
from __future__ import annotations

import csv
import hashlib
import json
import os
import secrets
import shutil
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterable

import jinja2
from markupsafe import Markup

from o3_governance.identity.chats import printable
from o3_governance.storage.layout import DataLayout
from o3_governance.reporting import art30, charts, history, policyview
from o3_governance.reporting.sections import ReportData, collect
from o3_governance.reporting.text import chat_label
from o3_governance.retention import queries as retention
from o3_governance.storage import audit, warehouse
from o3_governance.vocabulary import BRUSSELS, REPORT_FILE, SPECIAL_CATEGORY_TYPES

TEMPLATES = Path(__file__).resolve().parent / "templates"
# Compiled templates, kept between nights under tmp/ (a cache: no personal data, safe to delete, not backed
# up). Compiling report.html.j2 is about 0.1 s of every night; its bytecode is reused while nothing it
# depends on changed (see _TemplateCache).
TEMPLATE_CACHE = "templates-compiled"

CSV_EXTRACTS = {
    "deletion_list.csv": list(retention.CURRENT_LIST_COLUMNS),
    "findings_summary.csv": ["entity_type", "special_category", "language", "month", "findings", "messages"],
    "archive_registry.csv": ["archive_id", "sha256", "status", "reason", "source_format", "file_type",
                             "message_count", "new_message_count", "media_count", "size_bytes", "received_at",
                             "chat_id"],
    "messages_per_chat_month.csv": ["chat_id", "month", "messages"],
}


@dataclass
class ReportResult:
    folder: Path
    report_date: date
    files: dict[str, str]                  # name -> sha256
    counts: dict[str, int]
    summary_markdown: str
    manifest_sha256: str
    pruned: list[str] = field(default_factory=list)

    @property
    def html(self) -> Path:
        return self.folder / REPORT_FILE


class _TemplateCache(jinja2.FileSystemBytecodeCache):
    """Jinja's file cache of compiled templates, its key made of the template's name and path and of every
    option of the environment that changes the compiled code (Jinja checks the template's source and its
    own and Python's versions itself): an upgrade that changes an option never reuses old bytecode."""

    def __init__(self, directory: Path, options: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        super().__init__(str(directory), "%s.jinja")
        self.options = options

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        return hashlib.sha256(f"{self.options}|{name}|{filename}".encode("utf-8")).hexdigest()


def _compile_options(env: jinja2.Environment) -> str:
    return repr((jinja2.__version__, env.block_start_string, env.block_end_string, env.variable_start_string,
                 env.variable_end_string, env.comment_start_string, env.comment_end_string,
                 env.line_statement_prefix, env.line_comment_prefix, env.trim_blocks, env.lstrip_blocks,
                 env.newline_sequence, env.keep_trailing_newline, env.optimized, env.autoescape,
                 env.finalize is not None, env.is_async, sorted(env.extensions)))


def environment(cache_dir: Path | None = None) -> jinja2.Environment:
    """The templates' environment; with ``cache_dir``, compiled templates are kept there and reused."""
    # Every text printed into a page (names from the policy, labels, reasons) is escaped for HTML and
    # neutralised for bidi and control characters; markup built by the code (charts) is left alone.
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             finalize=lambda v: printable(v) if isinstance(v, str) and not isinstance(v, Markup) else v)
    if cache_dir is not None:
        env.bytecode_cache = _TemplateCache(cache_dir, _compile_options(env))
    env.filters["num"] = lambda n: "–" if n is None else f"{int(n):,}".replace(",", "\u00a0")  # no-break: "1 500" stays whole
    env.filters["chat"] = chat_label
    return env


def _write_csv(path: Path, header: list[str], rows: Iterable[dict[str, Any]]) -> int:
    n = 0
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=header, extrasaction="ignore")
        w.writeheader()
        for row in rows:
            w.writerow({k: art30.csv_safe("" if row.get(k) is None else row.get(k)) for k in header})
            n += 1
    return n


def _charts(d: ReportData) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if d.archives.available:
        out["archives"] = charts.hbar_chart(sorted(d.archives.data["by_status"].items()), "Archives by status",
                                            width=520, label_width=120)
    if d.messages.available:
        out["messages_month"] = charts.column_chart(d.messages.data["per_month"], "Messages per month")
        out["messages_chat"] = charts.hbar_chart([(c["label"], c["total"]) for c in d.messages.data["per_chat"][:25]],
                                                 "Messages per chat (top 25)")
    if d.findings.available:
        out["findings_type"] = charts.hbar_chart(
            d.findings.data["per_type"], "Findings per category", color=charts.PALETTE[1])
        months = list(d.findings.data["per_month_type"])
        series: dict[str, dict[str, float]] = {}
        for month, per in d.findings.data["per_month_type"].items():
            for entity, n in per.items():
                series.setdefault(entity, {})[month] = n
        out["findings_month"] = charts.stacked_columns(months, series, "Findings per month and category")
    if d.special.available:
        out["special_chat"] = charts.hbar_chart([(c["label"], c["findings"]) for c in d.special.data["per_chat"][:25]],
                                                "Special-category findings per chat", color=charts.PALETTE[5])
    if d.retention.available:
        out["due"] = charts.column_chart(d.retention.data["due_by_month"], "Messages falling due per month",
                                         width=640, color=charts.PALETTE[2])
    return out


def summary_markdown(d: ReportData, counts: dict[str, int], folder: Path) -> str:
    lines = [f"**Audit report {d.as_of.isoformat()}**", "", "| measure | count |", "|---|---:|"]
    lines += [f"| {k.replace('_', ' ')} | {v} |" for k, v in counts.items()]
    missing = [name for name, s in (("archives", d.archives), ("findings", d.findings), ("retention", d.retention),
                                    ("deletion lists", d.deletion_lists), ("deletions", d.deletions),
                                    ("data-subject requests", d.dsr)) if not s.available]
    if missing:
        lines += ["", "Not available yet: " + ", ".join(missing)]
    if d.audit.available:
        lines += ["", f"Audit log chain: {'intact' if d.audit.data['ok'] else 'BROKEN'} ({d.audit.data['rows']} rows)"]
    lines += ["", f"Folder: `{folder}`"]
    return "\n".join(lines)


def build_report(layout: DataLayout, as_of: date, policy_path: Path, *, now: datetime, keep_days: int,
                 raw_retention_days: int, approval_warn_days: int, run_id: str | None = None,
                 activity_file: Path | None = None) -> ReportResult:
    """The report of ``as_of`` in ``reports/<as_of>/``, then the index and report retention.

    The entry point passes what it read from the settings and the clock: ``now`` (when the report is
    made; pruning and a list's age follow it, never the as-of date), ``keep_days``
    (``O3_REPORT_RETENTION_DAYS``), ``raw_retention_days`` (for the Art. 30 record) and
    ``approval_warn_days`` (a deletion list waiting longer is flagged)."""
    if keep_days < 0:
        raise ValueError("keep_days must be 0 or more")
    layout = layout.ensure()
    generated_at = now.astimezone(BRUSSELS).replace(microsecond=0)
    policy = policyview.load(Path(policy_path))
    activity = art30.load_activity(activity_file)
    reports = layout.reports
    history.clean_leftovers(reports, now)
    staging = reports / f".building-{as_of.isoformat()}-{os.getpid()}-{secrets.token_hex(6)}"
    staging.mkdir(parents=True)
    try:
        with warehouse.open_warehouse(layout.warehouse) as con:
            d = collect(con, as_of, policy, generated_at, approval_warn_days=approval_warn_days)
            record = art30.build_record(con, policy, as_of, activity, generated_at,
                                        raw_retention_days=raw_retention_days, report_retention_days=keep_days)
            counts = d.summary_counts()
            csv_counts = _write_extracts(staging, d)
            csv_counts["deletion_list.csv"] = retention.copy_current_list(con, staging / "deletion_list.csv")
            art30.write_record(record, staging)
            (staging / "summary.json").write_text(json.dumps(
                {"report_date": as_of.isoformat(), "generated_at": generated_at.isoformat(), "counts": counts,
                 "extract_rows": csv_counts}, indent=2, sort_keys=True) + "\n", encoding="utf-8")
            html = environment(layout.work / TEMPLATE_CACHE).get_template("report.html.j2").render(
                d=d, charts=_charts(d), counts=counts, record=record, csv_counts=csv_counts,
                special_categories=SPECIAL_CATEGORY_TYPES, keep_days=keep_days,
                extracts=sorted(CSV_EXTRACTS) + ["record_of_processing.csv", "record_of_processing.json",
                                                 "summary.json"])
            (staging / REPORT_FILE).write_text(html, encoding="utf-8")
            # The chain's head as it stands (committed) goes into the manifest: an anchor outside the warehouse.
            manifest = history.write_manifest(staging, as_of, generated_at.isoformat(),
                                              audit.anchor(con, ts=now, run_id=run_id))
            manifest_sha = history.sha256_file(staging / history.MANIFEST)
            folder = history.install(staging, reports, as_of)
            # Pruning follows the clock (``now``), not the as-of date: O3_AS_OF only moves retention decisions.
            pruned = history.prune(reports, generated_at.date(), keep_days, keep={as_of.isoformat()})
            retention.write_certificate_manifest(con, layout)  # the certificates the index and the server may show
            write_index(reports, verify={as_of.isoformat()}, cache_dir=layout.work / TEMPLATE_CACHE)
            audit.append(con, "report_written", {"report_date": as_of.isoformat(), "files": len(manifest["files"]),
                                                 "manifest_sha256": manifest_sha, "reports_pruned": len(pruned)},
                         run_id=run_id, ts=now)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return ReportResult(folder=folder, report_date=as_of,
                        files={k: v["sha256"] for k, v in manifest["files"].items()}, counts=counts,
                        summary_markdown=summary_markdown(d, counts, folder), manifest_sha256=manifest_sha,
                        pruned=pruned)


def _write_extracts(folder: Path, d: ReportData) -> dict[str, int]:
    out = {}
    out["findings_summary.csv"] = _write_csv(folder / "findings_summary.csv", CSV_EXTRACTS["findings_summary.csv"],
                                             d.findings.data.get("summary", []) if d.findings.available else [])
    out["archive_registry.csv"] = _write_csv(folder / "archive_registry.csv", CSV_EXTRACTS["archive_registry.csv"],
                                             d.archives.data.get("rows", []) if d.archives.available else [])
    out["messages_per_chat_month.csv"] = _write_csv(
        folder / "messages_per_chat_month.csv", CSV_EXTRACTS["messages_per_chat_month.csv"],
        ({"chat_id": c, "month": m, "messages": n} for c, m, n in d.messages.data.get("per_chat_month", []))
        if d.messages.available else [])
    return out


def write_index(reports: Path, verify: bool | set[str] = True, cache_dir: Path | None = None) -> Path:
    """``reports/index.html``: every dated report with its files and whether its manifest verifies
    (all folders, or only the dates in ``verify``). Links are relative so the folder can be copied
    and opened from disk. ``cache_dir``: where compiled templates are kept (none: compiled each time)."""
    html = environment(cache_dir).get_template("index.html.j2").render(
        entries=history.index_entries(reports, verify), certificates=history.certificate_files(reports), prefix="",
        title="O3 Governance — audit reports")
    path = reports / history.INDEX
    tmp = path.with_name(".index.html.tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, path)
    return path
