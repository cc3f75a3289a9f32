"""retention domain: plain Python, no Dagster."""
