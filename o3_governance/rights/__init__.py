"""rights domain: plain Python, no Dagster."""
