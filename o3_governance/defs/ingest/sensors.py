"""The inbox sensor: a run starts when a file arrives in the inbox (names hashed in the cursor)."""
import hashlib
import json

import dagster as dg

from o3_governance import ingest
from o3_governance.storage.layout import DataLayout
from o3_governance.defs.nightly.jobs import nightly_governance
from o3_governance.defs.resources import GovernanceResource


def inbox_state(layout: DataLayout) -> dict[str, list]:
    """Inbox files (anywhere in the tree) with size and modification time: enough to notice a new or
    changed file. Relative paths are hashed because the sensor cursor is stored by Dagster and a file
    name can hold a person's name."""
    state = {}
    for p in ingest.inbox_files(layout.inbox):
        try:
            st = p.lstat()
        except OSError:
            continue   # gone while we looked
        key = hashlib.sha256(p.relative_to(layout.inbox).as_posix().encode()).hexdigest()[:16]
        state[key] = [st.st_size, int(st.st_mtime)]
    return state


@dg.sensor(job=nightly_governance, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Starts the governance run when new files arrive in the inbox.")
def inbox_sensor(context: dg.SensorEvaluationContext, governance: GovernanceResource):
    state = inbox_state(governance.layout())
    seen = json.loads(context.cursor) if context.cursor else {}
    new = {name: v for name, v in state.items() if seen.get(name) != v}
    if not new:
        return dg.SkipReason("no new files in the inbox")
    # The cursor keeps only what is still in the inbox: ingested files leave it, so it stays small.
    context.update_cursor(json.dumps(state, sort_keys=True))
    run_key = hashlib.sha256(json.dumps(new, sort_keys=True).encode()).hexdigest()[:16]
    return dg.RunRequest(run_key=run_key, tags={"o3/trigger": "inbox", "o3/new_files": str(len(new))})

