"""Scanning domain: personal and special-category data in every message, with Presidio (nl, fr, en).

Plain Python, no Dagster. Importing the package loads neither spaCy nor Presidio: the engine
(``engine``, ``scan``, ``worker``) loads where a scan runs (in the worker processes, or in this
process for a small scan).

- ``store.scan_warehouse(con, known_people=None, staff_directory=None, workers=2, ...) -> ScanSummary``
- ``special_category_message_ids(con)`` (also the view ``special_category_messages(message_id)`` once a
  scan has run); the entity types are in ``o3_governance.vocabulary``
- ``engine.build_scanner(known_people)``, ``evaluation.evaluate()``
"""
from o3_governance.scanning.categories import Finding, special_category_message_ids
from o3_governance.scanning.fingerprint import config_hash
from o3_governance.scanning.store import (ScanSummary, ensure_schema, known_people_from_authors,
                                          read_staff_directory, scan_warehouse)

__all__ = ["Finding", "ScanSummary", "config_hash", "ensure_schema", "known_people_from_authors",
           "read_staff_directory", "scan_warehouse", "special_category_message_ids"]
