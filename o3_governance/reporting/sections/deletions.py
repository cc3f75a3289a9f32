"""Deletions carried out: the retention domain's certificates (ids, dates, totals, hash, file link)."""
from __future__ import annotations

import json
import re
from typing import Any

from o3_governance.reporting.sections.base import Section, iso, not_available
from o3_governance.reporting.text import mask_free_text
from o3_governance.retention import queries as retention

COUNT_COLUMNS = ["listed", "deleted", "anonymised", "skipped"]
# The certificate's own hash goes last: it is long, the counts are what a reader looks for.
COLUMNS = [c for c in retention.CERTIFICATE_COLUMNS if c != "certificate_sha256"] + COUNT_COLUMNS + ["certificate_sha256"]
CERTIFICATE_FILE = re.compile(r"^deletion-certificate-[A-Za-z0-9_-]{1,64}\.json$")


def certificate_counts(raw: Any) -> dict[str, int]:
    """Totals from the certificate's JSON counts (plan or final shape): listed, deleted, anonymised, skipped."""
    try:
        doc = json.loads(raw) if isinstance(raw, str) else (raw or {})
    except ValueError:
        return {}
    if not isinstance(doc, dict):
        return {}
    executed = doc.get("executed") if isinstance(doc.get("executed"), dict) else doc
    skipped = doc.get("skipped")

    def num(v: Any) -> int | None:
        return int(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None

    out = {"listed": num(doc.get("listed")), "deleted": num(executed.get("delete")),
           "anonymised": num(executed.get("anonymise")),
           "skipped": sum(v for v in skipped.values() if num(v) is not None) if isinstance(skipped, dict) else num(skipped)}
    return {k: v for k, v in out.items() if v is not None}


def certificate_file_name(path: Any) -> str | None:
    """The certificate's file name when it lies in ``reports/certificates/`` (where the report and
    the download app link to it); never a path."""
    if not path:
        return None
    parts = str(path).replace("\\", "/").split("/")
    if len(parts) >= 2 and parts[-2] == "certificates" and CERTIFICATE_FILE.match(parts[-1]):
        return parts[-1]
    return None


def section(con) -> Section:
    if not retention.has_certificates(con):
        return not_available("no deletions carried out yet (no certificate register)")
    rows, files = [], []
    for cert in retention.certificates(con):
        values = {**{k: cert[k] for k in retention.CERTIFICATE_COLUMNS}, **certificate_counts(cert["counts"])}
        rows.append([mask_free_text(v if isinstance(v, (int, float)) or v is None else iso(v))
                     for v in (values.get(c) for c in COLUMNS)])
        files.append(certificate_file_name(cert["certificate_path"]))
    return Section(data={"columns": list(COLUMNS), "certificates": rows, "files": files})
