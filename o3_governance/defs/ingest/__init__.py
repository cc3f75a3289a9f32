"""Dagster definitions of the ingest domain (loaded by load_from_defs_folder)."""
