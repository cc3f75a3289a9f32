"""Resources for materialising assets and executing jobs in tests: the run's data folder and
settings come from here, as they come from the Definitions in production."""
from __future__ import annotations

from o3_governance.defs.resources import RESOURCE_KEY, GovernanceResource


def resources(layout=None, **fields) -> dict:
    """``{"governance": GovernanceResource(...)}`` for ``layout``'s data folder; other fields
    (``policy_file``, ``as_of``, ``directory_file``) as strings. Unset fields come from the environment."""
    if layout is not None:
        fields.setdefault("data_dir", str(layout.root))
    return {RESOURCE_KEY: GovernanceResource(**{k: (str(v) if v is not None else None) for k, v in fields.items()})}
