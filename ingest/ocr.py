"""Optical character recognition of page images with Tesseract, driven as a subprocess.

A subprocess, not a binding: a page that makes Tesseract crash or run forever costs that page
(killed at the timeout), never the worker.
"""

import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import Protocol

# Debian/Ubuntu packages: the engine, its Japanese data, and the data for vertical Japanese.
INSTALL_COMMAND = "sudo apt-get install -y tesseract-ocr tesseract-ocr-jpn tesseract-ocr-jpn-vert"
_LIST_TIMEOUT_S = 30.0


class OcrError(Exception):
    """One page could not be read: Tesseract failed, crashed or ran past its timeout."""


class OcrUnavailableError(OcrError):
    """OCR cannot run at all (switched off, or Tesseract or its language data missing)."""


class PageOcr(Protocol):
    def read(self, png: bytes) -> str:
        """The text of a page image (PNG bytes); raises OcrError."""
        ...


@dataclass(frozen=True)
class TesseractOcr:
    """Reads page images with the `tesseract` command; ``languages`` as Tesseract takes them
    ("jpn", "jpn+jpn_vert")."""

    languages: str
    page_timeout_s: float
    command: str = "tesseract"

    def __post_init__(self) -> None:
        if self.page_timeout_s <= 0:
            raise ValueError("page_timeout_s must be positive")

    def read(self, png: bytes) -> str:
        try:
            done = subprocess.run(
                [self.command, "stdin", "stdout", "-l", self.languages],
                input=png,
                capture_output=True,
                timeout=self.page_timeout_s,
                # One engine thread: workers already run side by side, and OpenMP's threads on
                # a busy machine slow Tesseract down rather than up.
                env={**os.environ, "OMP_THREAD_LIMIT": "1"},
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise OcrError(f"OCR timed out after {self.page_timeout_s:g} s") from exc
        except OSError as exc:
            raise OcrError(f"cannot run {self.command}: {exc.strerror or exc}") from exc
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip().splitlines()
            reason = message[-1] if message else f"exit status {done.returncode}"
            raise OcrError(f"tesseract failed: {reason}")
        return done.stdout.decode("utf-8", "replace")


@dataclass(frozen=True)
class OcrUnavailable:
    """No OCR: every page that needs it is refused with ``reason``."""

    reason: str

    def read(self, png: bytes) -> str:
        raise OcrUnavailableError(self.reason)


NO_OCR = OcrUnavailable("OCR is not set up")


def tesseract_problem(languages: str, command: str = "tesseract") -> str | None:
    """Why Tesseract cannot read ``languages`` here (with the command that installs it), or
    None when it can."""
    if shutil.which(command) is None:
        return f"Tesseract is not installed; install it with: {INSTALL_COMMAND}"
    try:
        listed = subprocess.run(
            [command, "--list-langs"], capture_output=True, timeout=_LIST_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"Tesseract does not run ({exc}); reinstall it with: {INSTALL_COMMAND}"
    # Tesseract 4 and 5 list one language a line on stdout, after a header line.
    installed = {line.strip() for line in listed.stdout.decode("utf-8", "replace").splitlines()[1:]}
    missing = [lang for lang in languages.split("+") if lang not in installed]
    if missing:
        return (
            f"Tesseract's language data {', '.join(missing)} is not installed; "
            f"install it with: {INSTALL_COMMAND}"
        )
    return None
