"""``BlobStore`` on a local folder (the embedded default): one sub-folder per container,
blob names with ``/`` become nested folders.

Writes are atomic: the bytes go to a temporary file in the target folder, are fsynced,
then appear under their name in one step (``os.link`` refuses an existing name, which is
the no-overwrite check without a race; ``os.replace`` for overwrites). Readers never see
a partly written blob. Every file operation runs in a worker thread.

Staged blocks (resumable uploads) are part files under ``root/.staged/<container>/<name>/``,
outside every container so they are never listed as blobs; a commit joins them into a
temporary file and publishes it like ``put``.

Limits of the folder layout (Azure has none of them): a blob ``a`` and a blob ``a/b``
cannot both exist (``Conflict``); deleting a nested blob leaves its (possibly empty)
folders behind; hard links must be supported by the filesystem.
"""

import asyncio
import contextlib
import errno
import logging
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from ailurus_common.errors import ErrorCode
from ailurus_common.storage.blob import CONTAINERS, validate_blob_id_list, validate_blob_name, validate_container_name
from ailurus_common.storage.errors import Conflict, NotFound, StorageError, StorageFull

log = logging.getLogger(__name__)
# No room: the disk or the user's quota is full, or the file is over the file-size limit.
_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def _failure(action: str, path: Path, exc: OSError) -> StorageError:
    """What the caller is told (no path, no OS text: those stay in the log)."""
    log.warning("local blob store: cannot %s %s: %s", action, path, exc)
    if exc.errno in _FULL:
        return StorageFull(f"the blob store is full: cannot {action} the blob")
    return StorageError(f"the blob store cannot {action} the blob now")

# Temporary files start with this; never a valid-looking blob a caller would ask for.
TMP_PREFIX = ".ailurus-tmp-"
STAGED_DIR = ".staged"  # beside the containers (a container name never starts with a dot)
BLOCK_PREFIX = "block-"  # part files; a blob name's own folders never start with it


def _fsync_dir(folder: Path) -> None:
    # Makes the new directory entry itself durable, not only the file's bytes.
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalBlobStore:
    """Blobs as files under ``root/<container>/<name>``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, container: str, name: str) -> Path:
        validate_container_name(container)
        validate_blob_name(name)
        return self.root / container / name

    async def ensure_containers(self) -> None:
        await asyncio.to_thread(self._ensure_containers_sync)

    def _ensure_containers_sync(self) -> None:
        try:
            for container in CONTAINERS:
                (self.root / container).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _failure("create the containers of", self.root, exc) from exc

    async def put(self, container: str, name: str, data: bytes, *, content_type: str,
                  overwrite: bool = False) -> bool:
        # content_type is not kept: nothing reads it back from the local store.
        path = self._path(container, name)
        return await asyncio.to_thread(self._put_sync, container, path, data, overwrite)

    def _put_sync(self, container: str, path: Path, data: bytes, overwrite: bool) -> bool:
        return self._publish_sync(container, path, lambda file: file.write(data), overwrite)

    def _publish_sync(self, container: str, path: Path, write: Callable[[BinaryIO], object], overwrite: bool) -> bool:
        # Checked first so that creating the blob's folders never creates a container.
        if not (self.root / container).is_dir():
            raise StorageError(f"container {container!r} does not exist", code=ErrorCode.CONTAINER_NOT_FOUND)
        folder = path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as exc:
            raise Conflict(f"a blob is in the way of the folders of {path.name!r}") from exc
        except OSError as exc:
            raise _failure("create the folder of", folder, exc) from exc
        tmp = folder / f"{TMP_PREFIX}{uuid.uuid4().hex}"
        try:
            # O_EXCL: never write through someone else's file; 0o666 so the umask applies.
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            with os.fdopen(fd, "wb") as file:
                write(file)
                file.flush()
                os.fsync(file.fileno())
            if overwrite:
                os.replace(tmp, path)
            else:
                try:
                    os.link(tmp, path)
                except FileExistsError:
                    if path.is_dir():
                        raise Conflict(f"{path.name!r} is a folder of other blobs") from None
                    return False
            _fsync_dir(folder)
            return True
        except IsADirectoryError as exc:  # os.replace onto a folder of other blobs
            raise Conflict(f"{path.name!r} is a folder of other blobs") from exc
        except OSError as exc:
            raise _failure("write", path, exc) from exc
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)

    async def get(self, container: str, name: str) -> bytes:
        path = self._path(container, name)
        return await asyncio.to_thread(self._get_sync, path, container, name)

    @staticmethod
    def _get_sync(path: Path, container: str, name: str) -> bytes:
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise NotFound(f"blob {container}/{name} not found") from exc
        except OSError as exc:
            raise _failure("read", path, exc) from exc

    async def exists(self, container: str, name: str) -> bool:
        path = self._path(container, name)
        return await asyncio.to_thread(path.is_file)

    async def list_names(self, container: str, prefix: str = "") -> list[str]:
        validate_container_name(container)
        return await asyncio.to_thread(self._list_names_sync, self.root / container, prefix)

    @staticmethod
    def _list_names_sync(folder: Path, prefix: str) -> list[str]:
        # Walk only below the deepest folder the prefix names: "snapshots/" need not visit images/.
        base, _, _ = prefix.rpartition("/")
        start = folder / base if base else folder
        if not start.is_dir():
            return []
        names = []
        try:
            for directory, _folders, files in os.walk(start):
                relative = Path(directory).relative_to(folder).as_posix()
                for file in files:
                    if file.startswith(TMP_PREFIX):  # a write under way, not a blob yet
                        continue
                    name = file if relative == "." else f"{relative}/{file}"
                    if name.startswith(prefix):
                        names.append(name)
        except OSError as exc:
            raise _failure("list", start, exc) from exc
        return sorted(names)

    async def delete(self, container: str, name: str) -> bool:
        path = self._path(container, name)
        return await asyncio.to_thread(self._delete_sync, path)

    @staticmethod
    def _delete_sync(path: Path) -> bool:
        try:
            os.unlink(path)
            return True
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return False
        except OSError as exc:
            raise _failure("delete", path, exc) from exc

    def _staged_folder(self, container: str, name: str) -> Path:
        validate_container_name(container)
        validate_blob_name(name)
        return self.root / STAGED_DIR / container / name

    async def stage_block(self, container: str, name: str, block_id: str, data: bytes) -> None:
        validate_blob_id_list([block_id])
        folder = self._staged_folder(container, name)
        await asyncio.to_thread(self._stage_block_sync, container, folder, block_id, data)

    def _stage_block_sync(self, container: str, folder: Path, block_id: str, data: bytes) -> None:
        if not (self.root / container).is_dir():
            raise StorageError(f"container {container!r} does not exist", code=ErrorCode.CONTAINER_NOT_FOUND)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _failure("stage a block of", folder, exc) from exc
        # The same temporary-then-rename step as put: a block is there whole or not at all.
        self._publish_sync_plain(folder / f"{BLOCK_PREFIX}{block_id}", data)

    @staticmethod
    def _publish_sync_plain(path: Path, data: bytes) -> None:
        tmp = path.with_name(f"{TMP_PREFIX}{uuid.uuid4().hex}")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(tmp, path)
            _fsync_dir(path.parent)
        except OSError as exc:
            raise _failure("stage", path, exc) from exc
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)

    async def staged_blocks(self, container: str, name: str) -> dict[str, int]:
        folder = self._staged_folder(container, name)
        return await asyncio.to_thread(self._staged_blocks_sync, folder)

    @staticmethod
    def _staged_blocks_sync(folder: Path) -> dict[str, int]:
        try:
            entries = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError):
            return {}
        except OSError as exc:
            raise _failure("list the staged blocks of", folder, exc) from exc
        return {entry.name.removeprefix(BLOCK_PREFIX): entry.stat().st_size for entry in entries
                if entry.name.startswith(BLOCK_PREFIX) and entry.is_file()}

    async def commit_blocks(self, container: str, name: str, block_ids: list[str], *, content_type: str,
                            overwrite: bool = False) -> bool:
        validate_blob_id_list(block_ids)
        path = self._path(container, name)
        folder = self._staged_folder(container, name)
        return await asyncio.to_thread(self._commit_sync, container, path, folder, list(block_ids), overwrite)

    def _commit_sync(self, container: str, path: Path, folder: Path, block_ids: list[str], overwrite: bool) -> bool:
        staged = self._staged_blocks_sync(folder)
        missing = [block_id for block_id in block_ids if block_id not in staged]
        if missing:
            raise StorageError(f"block {missing[0]!r} is not staged", code=ErrorCode.INVALID_BLOB_NAME, status_code=400)

        def join(file: BinaryIO) -> None:
            for block_id in block_ids:
                with open(folder / f"{BLOCK_PREFIX}{block_id}", "rb") as part:
                    shutil.copyfileobj(part, file, 1024 * 1024)

        committed = self._publish_sync(container, path, join, overwrite)
        if committed:
            self._discard_sync(folder)
        return committed

    async def discard_blocks(self, container: str, name: str) -> None:
        folder = self._staged_folder(container, name)
        await asyncio.to_thread(self._discard_sync, folder)

    @staticmethod
    def _discard_sync(folder: Path) -> None:
        try:
            entries = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError):
            return
        for entry in entries:  # only the part files: a longer name's folder may sit beside them
            if entry.name.startswith((BLOCK_PREFIX, TMP_PREFIX)) and entry.is_file():
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
        with contextlib.suppress(OSError):  # left when it still holds another name's blocks
            folder.rmdir()

    async def is_ready(self) -> bool:
        return await asyncio.to_thread(self._is_ready_sync)

    def _is_ready_sync(self) -> bool:
        folders = [self.root / container for container in CONTAINERS]
        return all(folder.is_dir() and os.access(folder, os.W_OK | os.X_OK) for folder in folders)

    async def close(self) -> None:
        return None  # nothing is held open between calls
