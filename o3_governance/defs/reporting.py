"""Dagster definitions for the reporting domain."""
import dagster as dg

defs = dg.Definitions()
