"""The nightly sweep of the stores (``stores_swept``, in the nightly run after the deletion list):
``tmp/`` cleaned of our own leftovers and media files no message references deleted, with counts
(the logic: :func:`o3_governance.storage.stores.sweep`). A re-ingested older export stores its media
before its erased messages are skipped; this is where those files go."""
from datetime import datetime, timezone

import dagster as dg

from o3_governance.defs.resources import GovernanceResource, writes_warehouse
from o3_governance.storage import stores

STORES_SWEPT = dg.AssetKey("stores_swept")


@dg.asset(
    key=STORES_SWEPT, group_name="retention", deps=[dg.AssetKey("deletion_list")], kinds={"python"},
    description="Housekeeping of the stores: tmp/ leftovers and media no message references are deleted "
                "(counts in the audit log).",
    check_specs=[dg.AssetCheckSpec("no_unreferenced_media", asset=STORES_SWEPT,
                                   description="After the sweep, every media file is referenced by a message.")],
)
@writes_warehouse
def stores_swept(context: dg.AssetExecutionContext, governance: GovernanceResource):
    layout = governance.layout().ensure()
    result = stores.sweep(layout, now=datetime.now(timezone.utc), run_id=context.run.run_id)
    left = len(stores.unreferenced_media(layout, stores.referenced_media(layout)))
    context.log.info(f"sweep: {result.tmp_removed} tmp entries and {result.media_removed} unreferenced media removed")
    yield dg.MaterializeResult(metadata={"tmp_entries_removed": result.tmp_removed,
                                         "unreferenced_media_removed": result.media_removed})
    yield dg.AssetCheckResult(check_name="no_unreferenced_media", passed=left == 0,
                              metadata={"unreferenced_media": left})
