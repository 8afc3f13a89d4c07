"""The ``WorkQueue`` seam: work handed from one process to another (pending media, job
shards) with at-least-once delivery. Azure Storage Queues in production (KEDA scales the
workers on its length), an SQLite file for the embedded default (``make run``)."""
