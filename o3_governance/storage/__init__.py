"""Where data sits: the folders, the DuckDB warehouse, the Parquet lake, the audit chain, the writer lock."""
