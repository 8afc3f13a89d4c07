"""``BlobStore`` on a local folder (the embedded default): one sub-folder per container,
blob names with ``/`` become nested folders.

Writes are atomic: the bytes go to a temporary file in the target folder, are fsynced,
then appear under their name in one step (``os.link`` refuses an existing name, which is
the no-overwrite check without a race; ``os.replace`` for overwrites). Readers never see
a partly written blob. Every file operation runs in a worker thread.

Limits of the folder layout (Azure has none of them): a blob ``a`` and a blob ``a/b``
cannot both exist (``Conflict``); deleting a nested blob leaves its (possibly empty)
folders behind; hard links must be supported by the filesystem.
"""

import asyncio
import contextlib
import errno
import logging
import os
import uuid
from pathlib import Path

from ailurus_common.errors import ErrorCode
from ailurus_common.storage.blob import CONTAINERS, validate_blob_name, validate_container_name
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
                file.write(data)
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

    async def is_ready(self) -> bool:
        return await asyncio.to_thread(self._is_ready_sync)

    def _is_ready_sync(self) -> bool:
        folders = [self.root / container for container in CONTAINERS]
        return all(folder.is_dir() and os.access(folder, os.W_OK | os.X_OK) for folder in folders)

    async def close(self) -> None:
        return None  # nothing is held open between calls
