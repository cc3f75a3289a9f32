"""Reading WhatsApp archives: exported chats (.txt/.zip, Android and iOS, nl/fr/en) and
Business Cloud API webhook captures (.json/.jsonl). Plain Python, no Dagster.

``discover(inbox)`` lists the inbox's items; ``open_container(path, work_dir=None, max_body_chars=...,
max_archive_bytes=...)`` opens one item with every chat in it; ``open_archive`` gives one-chat callers
the first."""
from o3_governance.parsing.archive import open_archive, open_container
from o3_governance.parsing.inbox import PARTIAL_SUFFIXES, discover, remove_empty_folders
from o3_governance.parsing.model import (
    EVENT_EDIT, EVENT_KINDS, EVENT_REACTION, EVENT_REACTION_REMOVED, EVENT_REVOKE, ITEM_FILE, ITEM_FOLDER,
    ITEM_SYMLINK, InboxItem, MediaRef, MessageEvent, NotAnExport, ParsedContainer, ParsedExport, ParsedMessage,
    RejectedRecord,
)

__all__ = ["EVENT_EDIT", "EVENT_KINDS", "EVENT_REACTION", "EVENT_REACTION_REMOVED", "EVENT_REVOKE", "ITEM_FILE",
           "ITEM_FOLDER", "ITEM_SYMLINK", "InboxItem", "MediaRef", "MessageEvent", "NotAnExport", "PARTIAL_SUFFIXES",
           "ParsedContainer", "ParsedExport", "ParsedMessage", "RejectedRecord", "discover", "open_archive",
           "open_container", "remove_empty_folders"]
