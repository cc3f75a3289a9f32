"""Dagster definitions for the rights domain."""
import dagster as dg

defs = dg.Definitions()
