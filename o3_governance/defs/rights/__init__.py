"""Dagster definitions of the rights domain (loaded by load_from_defs_folder)."""
