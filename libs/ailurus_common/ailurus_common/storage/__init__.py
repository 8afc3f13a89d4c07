"""The ``BlobStore`` seam for bytes: a folder for the embedded default, Azure Blob Storage
in production. (Records live behind ingest's own ``MetadataStore``.)"""
