"""Dagster definitions of the retention domain (loaded by load_from_defs_folder)."""
