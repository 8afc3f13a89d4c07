"""The metadata store: ingest is its only owner. ``MetadataStore`` is the seam; SQLite is
the embedded default, Cosmos DB the Azure backend."""
