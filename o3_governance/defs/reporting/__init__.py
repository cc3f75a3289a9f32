"""Dagster definitions of the reporting domain (loaded by load_from_defs_folder)."""
