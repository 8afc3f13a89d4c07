"""worker errors: the shared ``AilurusError`` family is all it raises (it serves no API of its own)."""

from ailurus_common.errors import AilurusError


class WorkerError(AilurusError):
    """A message the worker cannot read (a body that is no known kind of work)."""


class ShardOutage(AilurusError):
    """A part the shard needs is down: the shard is not reported and comes back later."""


class JobNotRecorded(AilurusError):
    """A shard's job is not in ingest: not recorded yet (the gateway records a job after
    enqueuing its shards) or never (the gateway died in between: an orphan)."""
