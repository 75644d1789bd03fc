"""The load limits a default Kotae runs with (app/settings.py), for loader tests."""

from ingest.archive import ArchiveLimits
from ingest.loaders import LoadLimits

MB = 1024 * 1024
# 100 MB files: as many characters of text, twice as many bytes once unzipped.
LIMITS = LoadLimits(max_text_chars=100 * MB, archive=ArchiveLimits(max_unzipped_bytes=200 * MB))
