"""Data-subject rights (GDPR Art. 15-21): plain Python, no Dagster.

- ``register``: the request register (due dates, status, outcome, keyed hash of the subject) and
  where identifiers live; ``identity``: phone/name/email normalisation and the directory;
  ``finder``: the subject's messages (written by them, mentioning them);
- ``access``, ``erasure``, ``rectification``, ``restriction``: the five kinds of request;
  ``service.carry_out(layout, request_id, now=…, as_of=…, policy_file=…, directory_file=…,
  subject_key=…)``: the one entry point the Dagster jobs call, with what the shell read from the
  settings and the clock (this package reads neither);
- ``checks``: the register's counts and deadline check, as plain values for the Dagster asset.
(Purging the orchestrator's own run history is Dagster's business: ``defs/rights/housekeeping``.)

Other domains exclude restricted messages (Art. 18) with the view ``restricted_message_ids``
(``m.message_id NOT IN (SELECT message_id FROM restricted_message_ids)``), or from Python with
``restricted_message_ids(con)`` / ``exclusion_sql(con, "m.message_id")``, which also work before any
request was ever recorded.
"""
from o3_governance.rights.register import ensure_schema
from o3_governance.storage.restrictions import exclusion_sql, restricted_message_ids

__all__ = ["ensure_schema", "exclusion_sql", "restricted_message_ids"]
