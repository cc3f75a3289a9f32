"""The shared words of every domain, in one place below all of them: entity types, special categories,
languages, message types, statuses, table and view names, file names of what the system writes.

A domain that needs one of these imports it from here; nobody keeps a copy or a "fallback"."""
from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent
# The policy shipped with the package (O3_POLICY_FILE replaces it).
DEFAULT_POLICY_FILE = PACKAGE_DIR / "policy" / "default_policy.yaml"

# The company's time zone: local dates of messages and "today" are Brussels dates.
BRUSSELS = ZoneInfo("Europe/Brussels")

# --- what the scanner finds (the contract's entity types) ---------------------------------------------
PERSONAL_DATA_TYPES = ("PHONE_NUMBER", "EMAIL_ADDRESS", "IBAN_CODE", "CREDIT_CARD", "BE_NATIONAL_NUMBER",
                       "PERSON", "LOCATION", "FACE")
# GDPR Art. 9 special categories, and Art. 10 (criminal convictions and offences).
SPECIAL_CATEGORY_TYPES = ("HEALTH_DATA", "POLITICAL_OPINION", "RELIGIOUS_BELIEF", "TRADE_UNION_MEMBERSHIP",
                          "SEXUAL_ORIENTATION", "ETHNIC_ORIGIN", "BIOMETRIC_DATA", "GENETIC_DATA",
                          "CRIMINAL_OFFENCE")
ENTITY_TYPES = PERSONAL_DATA_TYPES + SPECIAL_CATEGORY_TYPES
# What each type means, in the words of the record of processing (Art. 30).
ENTITY_LABELS = {
    "PHONE_NUMBER": "Phone numbers",
    "EMAIL_ADDRESS": "E-mail addresses",
    "IBAN_CODE": "Bank account numbers (IBAN)",
    "CREDIT_CARD": "Payment card numbers",
    "BE_NATIONAL_NUMBER": "Belgian national register numbers",
    "PERSON": "Names of people mentioned in messages",
    "LOCATION": "Locations and addresses",
    "FACE": "Faces in photos (detected, never recognised)",
    "HEALTH_DATA": "Health data (Art. 9)",
    "POLITICAL_OPINION": "Political opinions (Art. 9)",
    "RELIGIOUS_BELIEF": "Religious or philosophical beliefs (Art. 9)",
    "TRADE_UNION_MEMBERSHIP": "Trade-union membership (Art. 9)",
    "SEXUAL_ORIENTATION": "Sex life or sexual orientation (Art. 9)",
    "ETHNIC_ORIGIN": "Racial or ethnic origin (Art. 9)",
    "BIOMETRIC_DATA": "Biometric data (Art. 9)",
    "GENETIC_DATA": "Genetic data (Art. 9)",
    "CRIMINAL_OFFENCE": "Criminal convictions and offences (Art. 10)",
}
# Types that point at a person directly (what redaction of someone else's data replaces first).
IDENTIFYING_TYPES = ("PERSON", "PHONE_NUMBER", "EMAIL_ADDRESS")
# Types that, in a data subject's own messages, are most likely their own (their IBAN, their address):
# in a copy for the subject they are redacted only in messages other people wrote.
OTHERS_ONLY_TYPES = ("IBAN_CODE", "CREDIT_CARD", "BE_NATIONAL_NUMBER", "LOCATION")

# --- messages ------------------------------------------------------------------------------------------
LANGUAGES = ("nl", "fr", "en")
MESSAGE_TYPES = ("text", "media", "system", "deleted")
SOURCE_FORMATS = ("android", "ios", "cloud_api")
# Where a finding's offsets point: the message body, or the text extracted from the file it carries.
FINDING_SOURCES = ("body", "attachment")
ATTACHMENT_KINDS = ("image", "document", "audio", "video", "contact", "other")
ATTACHMENT_STATUSES = ("scanned", "unsupported", "failed", "too_large")

# --- statuses --------------------------------------------------------------------------------------------
ARCHIVE_STATUSES = ("ingested", "partial", "duplicate", "quarantined")
# How an export was matched to a chat (archives.chat_match): the chat of the same name, an existing chat
# whose messages it repeats (renamed, re-localised, without media), or a chat of its own.
CHAT_MATCHES = ("name", "content", "new")
# A deletion list: made by the nightly run, waits for a person, then is carried out or replaced.
LIST_AWAITING_APPROVAL = "awaiting_approval"
LIST_EXECUTING = "executing"
LIST_APPLIED = "applied"
LIST_SUPERSEDED = "superseded"
LIST_STATUSES = (LIST_AWAITING_APPROVAL, LIST_EXECUTING, LIST_APPLIED, LIST_SUPERSEDED)
# A data-subject request.
REQUEST_KINDS = ("access", "erasure", "rectification", "restriction", "objection")
REQUEST_OPEN_STATUSES = ("received", "in_progress", "failed")
REQUEST_CLOSED_STATUSES = ("completed", "rejected")
# The kinds that impose something that can later be lifted (``--lift``).
REQUEST_LIFTABLE_KINDS = ("restriction", "objection")

# --- disposal actions (retention rules) -------------------------------------------------------------------
ACTIONS = ("delete", "anonymise")

# --- warehouse tables and views ---------------------------------------------------------------------------
ARCHIVES = "archives"
MESSAGES = "messages"
FINDINGS = "findings"
SCAN_STATE = "scan_state"
RETENTION = "retention"
DELETION_LIST = "deletion_list"              # the view: what is due and not held
DELETION_LISTS = "deletion_lists"            # the register of lists
DELETION_LIST_ITEMS = "deletion_list_items"
DELETION_CERTIFICATES = "deletion_certificates"
DSR_REQUESTS = "dsr_requests"
RESTRICTED_MESSAGE_IDS = "restricted_message_ids"   # the view other domains read to leave restricted messages out
PURGED_MESSAGES = "purged_messages"
ARCHIVE_CHATS = "archive_chats"              # one row per chat found in an archive (its match decision)
ARCHIVE_REJECTS = "archive_rejects"          # records an archive could not read: line number and reason
ARCHIVE_HISTORY = "archive_history"          # status changes of a registry row (quarantined → ingested, ...)
MESSAGE_REACTIONS = "message_reactions"      # Cloud API reactions, linked to their message
ATTACHMENTS = "attachments"                  # one row per media file content (media_sha256): kind, status
# Which of the policy's document_terms (lower case) a file's extracted text contains: written by the
# attachment scan, read by retention's document_terms match. Terms only, never the text.
ATTACHMENT_TERMS = "attachment_terms"        # media_sha256, term
RETENTION_EVENTS = "retention_events"        # events a retention period counts from (project closed, ...)
AUDIT_LOG = "audit_log"

# --- files the system writes ------------------------------------------------------------------------------
REPORT_FILE = "report.html"
MANIFEST_FILE = "manifest.json"


def certificate_file(list_id: str) -> str:
    return f"deletion-certificate-{list_id}.json"
