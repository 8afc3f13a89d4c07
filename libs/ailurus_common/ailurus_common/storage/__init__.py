"""Storage seams: ``BlobStore`` for bytes, ``MetadataStore`` for records; one backend
each for the embedded default (folder, SQLite) and for Azure (Blob Storage, Cosmos DB)."""
