"""Content-addressed storage of uploaded originals (kept so they can be served and re-ingested).

An original lives while a document or an unfinished job uses it: deleting the last
document removes it, and `sweep` removes those nothing uses (failed, duplicate or never
queued uploads) once they are older than a grace period, which covers an upload between
storing its files and queueing its job.
"""

import hashlib
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

TEMP_PREFIX = ".tmp-"


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, digest: str) -> Path:
        return self.root / digest[:2] / digest

    def put(self, data: bytes) -> str:
        """Store bytes under their SHA-256; writing the same content twice is a no-op."""
        digest = hashlib.sha256(data).hexdigest()
        target = self.path(digest)
        if target.exists():
            try:
                os.utime(target)  # uploaded again now: young again for the sweep
                return digest
            except FileNotFoundError:  # swept meanwhile: write it again
                pass
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=TEMP_PREFIX)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, target)  # atomic: a reader never sees a half-written blob
        return digest

    def get(self, digest: str) -> bytes:
        return self.path(digest).read_bytes()

    def exists(self, digest: str) -> bool:
        return self.path(digest).exists()

    def delete(self, digest: str) -> bool:
        try:
            self.path(digest).unlink()
            return True
        except FileNotFoundError:
            return False

    def sweep(self, in_use: Callable[[], set[str]], older_than: float) -> int:
        """Remove originals (and abandoned temporary files) unused and older than `older_than` s.

        `in_use` is asked after the candidates are listed, so an original queued meanwhile
        is seen as used.
        """
        cutoff = time.time() - older_than
        old = [p for p in self._files() if _mtime(p) < cutoff]
        if not old:
            return 0
        used = in_use()
        removed = 0
        for path in old:
            if path.name in used or _mtime(path) >= cutoff:  # re-uploaded meanwhile
                continue
            try:
                path.unlink()
                removed += 1
            except FileNotFoundError:
                pass
        return removed

    def _files(self) -> Iterator[Path]:
        if not self.root.is_dir():
            return
        for folder in self.root.iterdir():
            if folder.is_dir() and len(folder.name) == 2:
                yield from (p for p in folder.iterdir() if p.is_file())


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return float("inf")  # gone already: not a candidate
