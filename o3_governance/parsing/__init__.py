"""Reading WhatsApp archives: exported chats (.txt/.zip, Android and iOS, nl/fr/en) and
Business Cloud API webhook captures (.json/.jsonl). Plain Python, no Dagster.

``open_archive(path, work_dir=None, max_body_chars=..., max_archive_bytes=...)`` is the entry point."""
from o3_governance.parsing.archive import open_archive
from o3_governance.parsing.model import MediaRef, NotAnExport, ParsedExport, ParsedMessage

__all__ = ["MediaRef", "NotAnExport", "ParsedExport", "ParsedMessage", "open_archive"]
