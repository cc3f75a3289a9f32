"""Jobs shared across domains."""
import dagster as dg

# Groups that make up the nightly run, in dependency order. Each domain puts its assets in its group.
NIGHTLY_GROUPS = ("ingest", "scanning", "retention", "reporting")

# Runs carrying this tag are queued one at a time (dagster_home/dagster.yaml): they write the warehouse.
WAREHOUSE_WRITE_TAGS = {"o3/warehouse": "write"}

# In-process: every step writes to the one DuckDB file, which allows a single writer at a time.
nightly_governance = dg.define_asset_job(
    name="nightly_governance",
    selection=dg.AssetSelection.groups(*NIGHTLY_GROUPS),
    executor_def=dg.in_process_executor,
    tags=WAREHOUSE_WRITE_TAGS,
    description="Everything from inbox to reports, in one run: ingest, scan, retention, reports.",
)
