"""Retention domain: plain Python, no Dagster, no settings, no clock (the shell passes them).

- ``policy``    — load and validate the policy file (``load_policy``, ``PolicyError``)
- ``decide``    — the nightly ``retention`` decisions and the deletion list register
- ``anonymise`` — the anonymise action: placeholders for findings, roles for authors
- ``dispose``   — disposal: carry out an approved list (``apply_deletion_list``) and write its certificate
- ``checks``    — what the retention asset checks measure, as plain numbers

Every change to stored messages goes through ``o3_governance.purge``.
"""
from o3_governance.retention.policy import Policy, PolicyError, as_of_date, load_policy

__all__ = ["Policy", "PolicyError", "as_of_date", "load_policy"]
