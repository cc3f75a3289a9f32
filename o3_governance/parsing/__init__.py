"""Reading WhatsApp archives: exported chats (.txt/.zip, Android and iOS, nl/fr/en) and
Business Cloud API webhook captures (.json/.jsonl). Plain Python, no Dagster."""
from o3_governance.parsing.model import MediaRef, NotAnExport, ParsedExport, ParsedMessage

__all__ = ["MediaRef", "NotAnExport", "ParsedExport", "ParsedMessage", "open_archive"]


def open_archive(path, work_dir=None, **limits):  # noqa: D401 - re-exported entry point
    """``archive.open_archive``; ``limits``: ``max_body_chars``, ``max_archive_bytes``."""
    from o3_governance.parsing.archive import open_archive as _open

    return _open(path, work_dir=work_dir, **limits)
