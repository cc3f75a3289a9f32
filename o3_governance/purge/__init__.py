"""The one mechanism that changes or removes stored messages, in every store at once.

Retention (disposal: delete / anonymise) and data-subject rights (erasure, rectification, redaction)
call ``apply_changes``. It reaches every place a message can live:

- the Parquet lake: only the files holding an affected message are rewritten (new file beside the old
  one, then an atomic rename), so the old bytes leave with the old file;
- the warehouse: ``messages`` and every other base table with a ``message_id`` column lose the rows of
  deleted messages; for messages whose ``body`` changes, the ``findings`` rows are replaced by the
  caller's ``new_findings`` (default: removed, because their offsets point into the old text);
- media: files of ``media/`` referenced by a deleted (or re-pointed) message are removed once no
  remaining message references the same sha256;
- raw archives still kept under ``raw/`` that hold an affected message (the archive the message came
  from, or any kept export of the same chat, which repeats it) are removed and
  ``archives.raw_path`` is cleared;
- earlier access exports under ``exports/<id>/`` that hold an affected message (its id, its text, or
  its media file) are removed whole: a copy handed to the data subject is not kept by us. Which ones
  (their request ids, and how many affected messages each held) is in ``exports_affected``, so that
  the caller can say so and the export can be regenerated;
- a fingerprint of each deleted id goes into ``purged_messages`` (see ``was_purged``), so that a
  later export of the same chat, which repeats its whole history, does not bring it back;
- finally the DuckDB file is check-pointed and compacted (copied into a fresh file), so deleted
  rows leave no bytes behind, and one audit event with counts only is appended.

Crash safety: the whole plan is written to ``tmp/purge-journal-<purge_id>.json`` before anything
changes, every step is idempotent and the counts come from the plan, so running ``apply_changes``
or ``resume_pending`` again after a crash finishes the job.

Modules: ``engine`` (the API below), ``plan`` (what each step will touch), ``steps`` (one per store),
``journal`` (the crash journal), ``tombstones`` (fingerprints of deleted ids), ``rewrite`` (the one
text rewriter, for anonymisation, redaction and erasure).
"""
from o3_governance.purge.engine import (UPDATABLE_COLUMNS, PurgeError, PurgeResult, apply_changes, completed,
                                        pending_purges, resume_pending)
from o3_governance.purge.journal import JOURNAL_PREFIX
from o3_governance.purge.steps import STEPS, TMP_SUFFIX
from o3_governance.purge.tombstones import PURGED_DDL, purged_key, purged_key_sql, resurrected, was_purged

__all__ = ["JOURNAL_PREFIX", "PURGED_DDL", "STEPS", "TMP_SUFFIX", "UPDATABLE_COLUMNS", "PurgeError", "PurgeResult",
           "apply_changes", "completed", "pending_purges", "purged_key", "purged_key_sql", "resume_pending",
           "resurrected", "was_purged"]
