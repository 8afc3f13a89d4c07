"""gateway: the public API, upload fan-out and the retry worker for pending media."""
