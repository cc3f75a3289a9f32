"""Scanning domain: personal and special-category data in every message, with Presidio (nl, fr, en).

Plain Python, no Dagster. Light names load at once; the engine (spaCy, Presidio) loads on first use.

- ``scan_warehouse(con, known_people=None, staff_directory=None, workers=2) -> ScanSummary``
- ``SPECIAL_CATEGORY_TYPES``, ``special_category_message_ids(con)`` (also the view
  ``special_category_messages(message_id)`` once a scan has run)
- ``build_scanner(known_people)``, ``evaluate()``
"""
from o3_governance.scanning.categories import (ENTITY_TYPES, PERSONAL_DATA_TYPES, SPECIAL_CATEGORY_TYPES,
                                               special_category_message_ids)

_LAZY = {
    "scan_warehouse": "store", "ScanSummary": "store", "ensure_schema": "store", "known_people_from_authors": "store",
    "read_staff_directory": "store", "build_scanner": "engine", "config_hash": "fingerprint", "evaluate": "evaluation",
    "LanguageDetector": "language",
}

__all__ = ["ENTITY_TYPES", "PERSONAL_DATA_TYPES", "SPECIAL_CATEGORY_TYPES", "special_category_message_ids", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"o3_governance.scanning.{_LAZY[name]}"), name)
    raise AttributeError(name)
