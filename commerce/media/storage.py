"""Where product photos are kept: a small interface, and a folder that implements it.

The folder (``instance/media`` by default, ``COMMERCE_MEDIA_DIR``) serves one machine, or several
that share it; another store (an S3-compatible bucket) implements the same three calls. Keys are
relative paths the service makes itself (``images/{product}/{sha256}.{ext}``); a key that is not
one is refused, so nothing outside the folder is ever touched.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

KEY = re.compile(r"^images/[0-9]{1,12}/[0-9a-f]{64}(\.thumb)?\.(jpg|png|webp)$")


class MediaStore(Protocol):
    def put(self, key: str, data: bytes) -> None:
        """Keep ``data`` under ``key`` (replacing what was there), whole or not at all."""

    def get(self, key: str) -> bytes | None:
        """What is kept under ``key``, or None."""

    def delete(self, key: str) -> None:
        """Forget ``key``; nothing happens if it is not there."""


def check_key(key: str) -> str:
    if not KEY.match(key):
        raise ValueError(f"not a media key: {key!r}")
    return key


class FolderStore:
    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, partial = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
            os.replace(partial, path)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)
