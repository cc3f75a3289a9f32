"""Dagster definitions of the scanning domain (loaded by load_from_defs_folder)."""
