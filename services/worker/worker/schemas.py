"""worker's response models: its readiness details."""

from pydantic import BaseModel


class Readiness(BaseModel):
    queue: bool
    blobs: bool
