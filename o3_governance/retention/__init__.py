"""Retention domain: plain Python, no Dagster.

- ``policy``  — load and validate the policy file (``load_policy``, ``PolicyError``)
- ``decide``  — the nightly ``retention`` decisions and the deletion list register
- ``dispose`` — carry out an approved list (``apply_deletion_list``) and write its certificate

Every change to stored messages goes through ``o3_governance.purge``.
"""
from o3_governance.retention.policy import Policy, PolicyError, as_of_date, load_policy

__all__ = ["Policy", "PolicyError", "as_of_date", "load_policy"]
