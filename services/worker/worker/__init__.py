"""The worker: takes work from the queues and runs it through preprocess and ingest."""
