"""``o3-governance verify-audit``: the audit chain, checked with its key and against every anchor found.

Anchors, in the order they are checked: ``audit_head.json`` beside the warehouse, each report's
manifest (oldest first), each deletion certificate, and the lines of ``O3_AUDIT_ANCHOR`` (a file outside
the data folder). Exit 0 when the chain is intact and every anchor agrees; 1 with one line naming the
first row or anchor that disagrees. Read-only: it writes nothing.
"""
from __future__ import annotations

import sys

from o3_governance import settings
from o3_governance.cli import context as config

EXIT_OK, EXIT_BROKEN = 0, 1


def register(subparsers) -> None:
    p = subparsers.add_parser("verify-audit", help="check the audit chain with its key and against its anchors "
                                                   "(reports, certificates, O3_AUDIT_ANCHOR)")
    p.set_defaults(handler=verify_audit)


def verify_audit(args) -> int:
    from o3_governance.reporting import history
    from o3_governance.storage import audit, warehouse
    conf = settings.load()
    layout = config.require_warehouse()
    anchors = history.audit_anchors(layout.reports)
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        result = audit.verify(con)
        problem = result.problem if not result.ok else audit.check_anchors(con, anchors)
        if problem is None and conf.audit_anchor is not None:
            problem = audit.check_anchor_file(con, conf.audit_anchor)
    if problem is not None:
        print(f"o3-governance verify-audit: {problem}", file=sys.stderr)
        return EXIT_BROKEN
    sources = len(anchors) + (1 if conf.audit_anchor is not None else 0)
    keyed = "keyed" if result.keyed else "not keyed yet (the next run that writes keys it)"
    anchor_file = ", the anchor file" if conf.audit_anchor is not None else " (no O3_AUDIT_ANCHOR set)"
    print(f"audit chain intact: {result.rows} rows, {keyed}; agrees with {len(anchors)} report/certificate "
          f"anchor(s){anchor_file}" if sources else
          f"audit chain intact: {result.rows} rows, {keyed}; no anchors found yet")
    return EXIT_OK
