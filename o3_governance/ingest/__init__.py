"""Ingest: inbox items → archive registry, Parquet lake, DuckDB ``messages`` and content-addressed media.

``ingest_inbox(layout, now=...)`` is the entry point (``pipeline``); ``check_ingest`` its invariants
(``checks``). Message identity and chat matching: ``identity``; the one-time re-keying of an existing
warehouse: ``migrate``; reversible quarantine: ``quarantine``; Cloud API events: ``events``; media:
``media``; the registry tables: ``registry``; what reporting may read: ``queries``.
"""
from o3_governance.ingest.checks import IngestCheck, check_ingest
from o3_governance.ingest.media import MediaStore
from o3_governance.ingest.pipeline import (DEFAULT_MAX_ARCHIVE_BYTES, DEFAULT_MAX_BODY_CHARS, DEFAULT_MAX_NIGHT_BYTES,
                                           DEFAULT_QUARANTINE_RETENTION_DAYS, IngestSummary, parsed_schema,
                                           inbox_files, ingest_inbox, ingest_item, remove_expired_raw_archives)
from o3_governance.ingest.registry import ArchiveResult, ChatResult, SystemFault

__all__ = ["ArchiveResult", "ChatResult", "DEFAULT_MAX_ARCHIVE_BYTES", "DEFAULT_MAX_BODY_CHARS",
           "DEFAULT_MAX_NIGHT_BYTES", "DEFAULT_QUARANTINE_RETENTION_DAYS", "IngestCheck", "IngestSummary",
           "MediaStore", "SystemFault", "check_ingest", "inbox_files", "ingest_inbox", "ingest_item",
           "parsed_schema", "remove_expired_raw_archives"]

