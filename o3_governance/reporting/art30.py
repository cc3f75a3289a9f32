"""Record of processing activities (GDPR Art. 30(1)) as JSON and CSV, built from three sources:
the activity statements (``processing_activity.yaml``, reviewed by the company), the retention
policy (periods, actions, holds) and the warehouse (which categories of data and people are
really there, counted). Counts only: no name, number or text of anybody."""
from __future__ import annotations

import csv
import json
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from o3_governance.reporting import policyview
from o3_governance.scanning import queries as scanning
from o3_governance.storage import queries as storage
from o3_governance.vocabulary import ENTITY_LABELS, PERSONAL_DATA_TYPES, SPECIAL_CATEGORY_TYPES

DEFAULT_ACTIVITY_FILE = Path(__file__).resolve().parent / "processing_activity.yaml"

BASE_DATA_CATEGORIES = [
    ("message_content", "Content of chat messages (text)"),
    ("participant_identity", "Participants' display names and phone numbers as exported by WhatsApp"),
    ("chat_names", "Chat names (which may name a person)"),
    ("timestamps", "Date and time of each message"),
    ("media", "Photos, videos, audio and documents sent in chats"),
]


def load_activity(path: Path | None = None) -> dict[str, Any]:
    path = Path(path) if path else DEFAULT_ACTIVITY_FILE
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ValueError(f"processing activity file cannot be read ({type(exc).__name__})") from None
    if not isinstance(doc, dict):
        raise ValueError("processing activity file is not a mapping")
    return doc


def _observed(con) -> dict[str, Any]:
    out: dict[str, Any] = {"messages": None, "chats": None, "participants": None, "first_month": None,
                           "last_month": None, "message_types": {}, "media_files": None, "findings": {},
                           "finding_messages": {}}
    if storage.has_messages(con):
        out.update(storage.message_volume(con))
    if scanning.has_findings(con):
        for entity, n, nm in scanning.findings_per_type(con):
            out["findings"][entity] = n
            out["finding_messages"][entity] = nm
    return out


def build_record(con, policy: policyview.PolicyView, as_of: date, activity: dict[str, Any], generated_at: datetime,
                 *, raw_retention_days: int, report_retention_days: int) -> dict[str, Any]:
    """The record. ``raw_retention_days`` and ``report_retention_days`` are the configured periods
    (``O3_RAW_RETENTION_DAYS``, ``O3_REPORT_RETENTION_DAYS``), passed by the entry point."""
    obs = _observed(con)
    data_categories = []
    for key, text in BASE_DATA_CATEGORIES:
        present = {"message_content": (obs["message_types"].get("text", 0) or None),
                   "participant_identity": obs["participants"], "chat_names": obs["chats"],
                   "timestamps": obs["messages"], "media": obs["media_files"]}[key]
        data_categories.append({"category": key, "description": text, "special_category": False,
                                "observed_count": present, "source": "data" if present is not None else "statement"})
    scanned = scanning.has_findings(con)
    for entity in PERSONAL_DATA_TYPES + SPECIAL_CATEGORY_TYPES:
        n = obs["findings"].get(entity, 0)
        if not n and entity in PERSONAL_DATA_TYPES:
            continue
        if not n and not scanned:
            continue
        data_categories.append({
            "category": entity, "description": ENTITY_LABELS.get(entity, entity),
            "special_category": entity in SPECIAL_CATEGORY_TYPES, "observed_count": n,
            "messages_concerned": obs["finding_messages"].get(entity, 0), "source": "data (scanner findings)"})
    for entity, n in obs["findings"].items():  # categories the scanner found that the list above does not name
        if entity not in PERSONAL_DATA_TYPES and entity not in SPECIAL_CATEGORY_TYPES:
            data_categories.append({"category": entity, "description": ENTITY_LABELS.get(entity, entity),
                                    "special_category": False, "observed_count": n,
                                    "messages_concerned": obs["finding_messages"].get(entity, 0),
                                    "source": "data (scanner findings)"})

    retention = [{"store": "messages, media and lake", "rule": r.name, "applies_to": r.match,
                  "why": r.description,
                  "retain_days": r.retain_days, "retain_years": r.retain_years, "count_from": r.count_from,
                  "action": r.action,
                  "envisaged_time_limit": (f"{r.period}, then {r.action}"
                                           if r.retain_days is not None or r.retain_years is not None
                                           else f"then {r.action}"),
                  "source": "policy"} for r in policy.rules]
    raw_days = raw_retention_days
    retention.append({"store": "raw archives", "rule": "O3_RAW_RETENTION_DAYS", "applies_to": "exported chat files",
                      "why": "the original file is only needed until it is ingested and checked",
                      "retain_days": raw_days, "action": "delete",
                      "envisaged_time_limit": "removed once ingested" if raw_days <= 0 else f"{raw_days} days after receipt",
                      "source": "configuration"})
    rep_days = report_retention_days
    retention.append({"store": "audit reports", "rule": "O3_REPORT_RETENTION_DAYS", "applies_to": "nightly reports",
                      "why": "history of the nightly audit reports (counts and pseudonymous ids only)",
                      "retain_days": rep_days, "action": "delete",
                      "envisaged_time_limit": f"{rep_days} days after the report date", "source": "configuration"})
    holds = [{"name": h.name, "reason": h.reason, "until": h.until or "open-ended",
              "chats_named": h.chats, "people_named": h.subjects, "source": "policy"} for h in policy.holds]

    return {
        "record": "GDPR Art. 30(1) record of processing activities",
        "as_of": as_of.isoformat(),
        "generated_at": generated_at.isoformat(timespec="seconds"),
        "controller": activity.get("controller", {}),
        "activity": activity.get("activity", {}),
        "purposes": list(activity.get("purposes") or []),
        "legal_bases": list(activity.get("legal_bases") or []),
        "data_subject_categories": [{"category": c, "source": "statement"} for c in activity.get("data_subject_categories") or []],
        "data_subjects_observed": {"participants": obs["participants"], "chats": obs["chats"], "source": "data"},
        "personal_data_categories": data_categories,
        "recipients": list(activity.get("recipients") or []),
        "processors": list(activity.get("processors") or []),
        "third_country_transfers": list(activity.get("third_country_transfers") or []),
        "retention_periods": retention,
        "legal_holds": holds,
        "security_measures": list(activity.get("security_measures") or []),
        "volume": {"messages": obs["messages"], "first_month": obs["first_month"], "last_month": obs["last_month"],
                   "message_types": obs["message_types"], "media_files": obs["media_files"]},
        "policy": {"file_sha256": policy.sha256, "timezone": policy.timezone, "error": policy.error,
                   "rules": [asdict(r) for r in policy.rules]},
    }


def record_rows(record: dict[str, Any]) -> list[dict[str, str]]:
    """The record flattened to one statement a row (section, item, value, detail, source): what a
    spreadsheet-minded auditor expects."""
    rows: list[dict[str, str]] = []

    def add(section, item, value, detail="", source="statement"):
        rows.append({"section": section, "item": str(item), "value": "" if value is None else str(value),
                     "detail": str(detail or ""), "source": source})

    for k, v in (record.get("controller") or {}).items():
        add("controller", k, v)
    for k, v in (record.get("activity") or {}).items():
        add("activity", k, v)
    for section, key in (("purpose", "purposes"), ("legal_basis", "legal_bases")):
        for i, item in enumerate(record[key], 1):
            add(section, i, item)
    for c in record["data_subject_categories"]:
        add("data_subject_category", c["category"], "")
    obs = record["data_subjects_observed"]
    add("data_subjects_observed", "participants", obs["participants"], "distinct authors in the archive", "data")
    add("data_subjects_observed", "chats", obs["chats"], "distinct chats in the archive", "data")
    for c in record["personal_data_categories"]:
        detail = "special category" if c["special_category"] else ""
        if c.get("messages_concerned") is not None:
            detail = (detail + "; " if detail else "") + f"{c['messages_concerned']} messages concerned"
        add("personal_data_category", c["category"], c["observed_count"], f"{c['description']}" + (f" ({detail})" if detail else ""),
            c["source"])
    for section, key in (("recipient", "recipients"), ("processor", "processors"),
                         ("third_country_transfer", "third_country_transfers")):
        for i, item in enumerate(record[key], 1):
            add(section, i, item)
    for r in record["retention_periods"]:
        length = r["retain_days"] if r.get("retain_years") is None else f"{r['retain_years']} years"
        add("retention_period", f"{r['store']}: {r['rule']}", length,
            f"{r['applies_to']}; {r['envisaged_time_limit']}" + (f"; {r['why']}" if r.get("why") else ""), r["source"])
    for h in record["legal_holds"]:
        add("legal_hold", h["name"], h["until"], f"{h['reason']} ({h['chats_named']} chats, {h['people_named']} people named)",
            "policy")
    for i, m in enumerate(record["security_measures"], 1):
        add("security_measure", i, m)
    vol = record["volume"]
    add("volume", "messages", vol["messages"], f"{vol['first_month'] or ''} to {vol['last_month'] or ''}", "data")
    add("volume", "media_files", vol["media_files"], "", "data")
    add("policy", "file_sha256", record["policy"]["file_sha256"], record["policy"]["error"], "policy")
    return rows


def write_record(record: dict[str, Any], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    json_path = folder / "record_of_processing.json"
    json_path.write_text(json.dumps(record, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    csv_path = folder / "record_of_processing.csv"
    with open(csv_path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=["section", "item", "value", "detail", "source"])
        w.writeheader()
        for row in record_rows(record):
            w.writerow({k: csv_safe(v) for k, v in row.items()})
    return [json_path, csv_path]


def csv_safe(value: Any) -> Any:
    """Spreadsheets run cells that start with = + - @ as formulas: such text gets a leading quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
