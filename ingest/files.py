"""Finding the files to ingest on disk and reading them, refusing what cannot be ingested."""

from collections.abc import Iterable, Iterator
from pathlib import Path

from ingest.loaders import SUPPORTED_SUFFIXES
from ingest.records import FileInput, FileOutcome
from ingest.sizes import human_size


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[FileOutcome]]:
    """Expand folders recursively (hidden entries skipped); report missing paths as failures."""
    files: list[Path] = []
    missing: list[FileOutcome] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif path.is_file():
            files.append(path)
        else:
            missing.append(FileOutcome(str(path), "failed", reason="no such file or folder"))
    return files, missing


def read_files(files: Iterable[Path], max_file_bytes: int) -> Iterator[FileInput | FileOutcome]:
    """Each file's bytes, or why it is not read: too large, of an unknown type, unreadable."""
    for path in files:
        source = str(path.resolve())
        size = path.stat().st_size
        if size > max_file_bytes:
            limit = human_size(max_file_bytes)
            reason = f"file is {human_size(size)}, over the {limit} limit"
            yield FileOutcome(source, "failed", reason=reason)
        elif path.suffix and path.suffix.lower() not in SUPPORTED_SUFFIXES:
            reason = f"unsupported file type '{path.suffix.lower()}'"
            yield FileOutcome(source, "skipped", reason=reason)
        else:
            try:
                yield FileInput(source, path.name, path.read_bytes())
            except OSError as e:
                yield FileOutcome(source, "failed", reason=f"cannot read file: {e.strerror}")
