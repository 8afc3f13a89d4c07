"""What every work queue backend does (the contract suite in tests/contract/ holds each
backend to it).

- **At least once**: a received message stays in the queue, invisible for the
  ``visibility_timeout_s`` given to ``receive``; it is gone only when deleted with the
  receipt of that delivery. A consumer that dies mid-message loses nothing: the message
  becomes visible again and is delivered to someone else.
- **Receipts**: each delivery has its own receipt. ``delete`` and ``extend`` with the
  receipt of an earlier delivery do nothing and say so (False / None): the message now
  belongs to whoever received it last.
- **Dequeue count**: how many times the message has been handed out, this delivery
  included (1 on the first).
- **Dead letters**: a message handed out ``max_attempts`` times and still not deleted is
  not handed out again: the next ``receive`` moves it to the dead-letter queue
  (``dead_letter``, a queue like any other, without a limit of its own).
- **Delay**: ``send(..., delay_s=)`` keeps a new message invisible that long (a retry
  with back-off is a new message, with a fresh dequeue count).
- Order is roughly first in, first out, never guaranteed.
"""

from dataclasses import dataclass
from typing import Protocol

# Azure Storage Queues: at most 32 messages per receive, visibility up to 7 days, 64 KiB per message.
MAX_RECEIVE = 32
MAX_VISIBILITY_TIMEOUT_S = 7 * 24 * 3600
MAX_MESSAGE_BYTES = 48 * 1024  # under the 64 KiB limit with room for the XML envelope
DEFAULT_MAX_ATTEMPTS = 5
DEAD_LETTER_SUFFIX = "-poison"  # the name Azure Functions and KEDA users expect


@dataclass(frozen=True)
class QueueMessage:
    """One delivery of a message."""

    id: str
    receipt: str  # this delivery's: ``delete``/``extend`` need it
    dequeue_count: int
    body: str


class WorkQueue(Protocol):
    name: str
    max_attempts: int | None  # None: never dead-letters (the dead-letter queue itself)

    async def ensure(self) -> None:
        """Create the queue (and its dead-letter queue) if missing; idempotent."""

    async def send(self, body: str, *, delay_s: int = 0) -> str:
        """Add a message (text, at most ``MAX_MESSAGE_BYTES``), invisible for ``delay_s``; its id."""

    async def receive(self, max_messages: int, *, visibility_timeout_s: int) -> list[QueueMessage]:
        """Up to ``max_messages`` (at most ``MAX_RECEIVE``) visible messages, each hidden from
        other receivers for ``visibility_timeout_s``; an empty list when none is visible."""

    async def delete(self, message: QueueMessage) -> bool:
        """Done with it: False when this delivery's receipt is no longer valid (it timed
        out and was received again, or is gone)."""

    async def extend(self, message: QueueMessage, *, visibility_timeout_s: int) -> QueueMessage | None:
        """Keep it hidden ``visibility_timeout_s`` from now; the delivery with its new
        receipt, or None when this receipt is no longer valid."""

    async def approximate_length(self) -> int:
        """Messages in the queue, visible or not (what an autoscaler reads)."""

    @property
    def dead_letter(self) -> "WorkQueue":
        """Where messages go after ``max_attempts`` deliveries."""

    async def is_ready(self) -> bool:
        """The queue answers."""

    async def close(self) -> None: ...


def check_body(body: str) -> None:
    if len(body.encode()) > MAX_MESSAGE_BYTES:
        raise ValueError(f"queue message over {MAX_MESSAGE_BYTES} bytes")


def check_receive(max_messages: int, visibility_timeout_s: int) -> None:
    if not 1 <= max_messages <= MAX_RECEIVE:
        raise ValueError(f"max_messages must be 1..{MAX_RECEIVE}")
    if not 1 <= visibility_timeout_s <= MAX_VISIBILITY_TIMEOUT_S:
        raise ValueError(f"visibility_timeout_s must be 1..{MAX_VISIBILITY_TIMEOUT_S}")
