"""ingest: the metadata store's only owner; traps, media records, map and analytics queries."""
