"""Attachments: files per kind and status, findings per type in their text, photos with faces, and the
files that could not be read, per reason (the DPO's blind spot). Counts only."""
from __future__ import annotations

from o3_governance.attachments import queries as register
from o3_governance.reporting.sections.base import Section, not_available
from o3_governance.scanning import queries as scanning

NOT_SCANNED = "no register of attachments yet (the attachment scan has not run)"


def section(con) -> Section:
    if not register.has_register(con):
        return not_available(NOT_SCANNED)
    per_kind = [{"kind": k, "status": s, "files": n, "bytes": b} for k, s, n, b in register.files_per_kind_and_status(con)]
    kinds = sorted({r["kind"] for r in per_kind})
    statuses = sorted({r["status"] for r in per_kind})
    table = {k: {r["status"]: r["files"] for r in per_kind if r["kind"] == k} for k in kinds}
    unreadable = [{"kind": k, "status": s, "reason": r, "files": n} for k, s, r, n in register.unreadable_per_reason(con)]
    photos, faces, face_messages = register.photos_with_faces(con)
    findings = [{"entity_type": e, "findings": n, "messages": m} for e, n, m in scanning.attachment_findings_per_type(con)]
    return Section(data={"files": sum(r["files"] for r in per_kind), "kinds": kinds, "statuses": statuses,
                         "per_kind_status": table, "rows": per_kind, "unreadable": unreadable,
                         "unreadable_total": sum(r["files"] for r in unreadable),
                         "photos_with_faces": photos, "faces": faces, "messages_with_face_photos": face_messages,
                         "ocr_files": register.ocr_files(con), "findings": findings,
                         "findings_total": sum(r["findings"] for r in findings)})
