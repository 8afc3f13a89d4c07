"""``WorkQueue`` on Azure Storage Queues (or Azurite's queue service) through the aio SDK.

Storage Queues count deliveries (``dequeue_count``) but have no dead-letter queue of
their own: ``receive`` moves a message delivered ``max_attempts`` times to
``<name>-poison`` (send there, then delete here; a crash between the two leaves a copy in
both, which at-least-once allows). SDK exceptions never leave this module."""

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from azure.core.exceptions import AzureError, HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.core.pipeline.transport import AioHttpTransport
from azure.storage.queue.aio import QueueClient

from ailurus_common.queue.base import DEAD_LETTER_SUFFIX, QueueMessage, check_body, check_receive
from ailurus_common.storage.errors import StorageError

log = logging.getLogger(__name__)
# A receipt that is no longer the message's (it was received again) or a message gone.
_STALE_RECEIPT = {"MessageNotFound", "PopReceiptMismatch"}


@contextlib.contextmanager
def _queue_errors(action: str) -> Iterator[None]:
    try:
        yield
    except AzureError as exc:
        log.warning("queue storage: %s", (str(exc).splitlines() or [type(exc).__name__])[0])
        reason = f"HTTP {exc.status_code} {exc.error_code or ''}".rstrip() \
            if isinstance(exc, HttpResponseError) and exc.status_code is not None else type(exc).__name__
        raise StorageError(f"queue storage: {action} failed: {reason}") from exc


def _stale(exc: HttpResponseError) -> bool:
    return isinstance(exc, ResourceNotFoundError) or exc.error_code in _STALE_RECEIPT or exc.status_code == 404


class AzureWorkQueue:
    def __init__(self, client: QueueClient, *, max_attempts: int | None, dead_letter: "AzureWorkQueue | None" = None,
                 credential: Any = None) -> None:
        self._client = client
        self.name = client.queue_name
        self.max_attempts = max_attempts
        self._dead = dead_letter
        self._credential = credential

    @classmethod
    def open(cls, name: str, *, max_attempts: int | None, connection_string: str | None = None,
             account_url: str | None = None) -> "AzureWorkQueue":
        """From a connection string (Azurite) or an account URL (DefaultAzureCredential)."""
        credential = None
        if connection_string:
            def client(queue: str) -> QueueClient:
                return QueueClient.from_connection_string(connection_string, queue,
                                                          transport=AioHttpTransport(use_env_settings=False))
        elif account_url:
            from azure.identity.aio import DefaultAzureCredential

            credential = DefaultAzureCredential()

            def client(queue: str) -> QueueClient:
                return QueueClient(account_url, queue, credential=credential,
                                   transport=AioHttpTransport(use_env_settings=False))
        else:
            raise ValueError("azure work queue needs connection_string (emulators) or account_url")
        dead = None
        if max_attempts is not None:
            dead = cls(client(name + DEAD_LETTER_SUFFIX), max_attempts=None)
        return cls(client(name), max_attempts=max_attempts, dead_letter=dead, credential=credential)

    @property
    def dead_letter(self) -> "AzureWorkQueue":
        if self._dead is None:
            raise ValueError(f"{self.name} is a dead-letter queue: it has none of its own")
        return self._dead

    async def ensure(self) -> None:
        with _queue_errors(f"creating queue {self.name}"), contextlib.suppress(ResourceExistsError):
            await self._client.create_queue()
        if self._dead is not None:
            await self._dead.ensure()

    async def send(self, body: str, *, delay_s: int = 0) -> str:
        check_body(body)
        with _queue_errors("send"):
            sent = await self._client.send_message(body, visibility_timeout=delay_s or None)
        return sent.id

    async def receive(self, max_messages: int, *, visibility_timeout_s: int) -> list[QueueMessage]:
        check_receive(max_messages, visibility_timeout_s)
        taken: list[QueueMessage] = []
        with _queue_errors("receive"):
            pages = self._client.receive_messages(messages_per_page=max_messages, max_messages=max_messages,
                                                  visibility_timeout=visibility_timeout_s)
            async for item in pages:
                message = QueueMessage(id=item.id, receipt=item.pop_receipt, dequeue_count=item.dequeue_count,
                                       body=item.content)
                if self.max_attempts is not None and message.dequeue_count > self.max_attempts:
                    await self.dead_letter.send(message.body)
                    await self.delete(message)
                    continue
                taken.append(message)
        return taken

    async def delete(self, message: QueueMessage) -> bool:
        with _queue_errors("delete"):
            try:
                await self._client.delete_message(message.id, message.receipt)
            except HttpResponseError as exc:
                if _stale(exc):
                    return False
                raise
        return True

    async def extend(self, message: QueueMessage, *, visibility_timeout_s: int) -> QueueMessage | None:
        with _queue_errors("extend"):
            try:
                updated = await self._client.update_message(message.id, pop_receipt=message.receipt,
                                                            visibility_timeout=visibility_timeout_s)
            except HttpResponseError as exc:
                if _stale(exc):
                    return None
                raise
        return QueueMessage(id=message.id, receipt=updated.pop_receipt, dequeue_count=message.dequeue_count,
                            body=message.body)

    async def approximate_length(self) -> int:
        with _queue_errors("length"):
            return (await self._client.get_queue_properties()).approximate_message_count

    async def is_ready(self) -> bool:
        try:
            await self.approximate_length()
        except StorageError:
            return False
        return True

    async def close(self) -> None:
        await self._client.close()
        if self._dead is not None:
            await self._dead.close()
        if self._credential is not None:
            await self._credential.close()
