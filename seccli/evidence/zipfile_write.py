"""Deterministic zip archives: sorted entries, one fixed timestamp, fixed attributes."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from datetime import UTC, datetime

#: The earliest time a zip entry can carry.
ZIP_EPOCH = datetime(1980, 1, 1, tzinfo=UTC)


def zip_time(moment: datetime) -> tuple[int, int, int, int, int, int]:
    """A zip entry time (UTC fields, clamped to 1980-2107, even seconds)."""
    value = max(moment.astimezone(UTC), ZIP_EPOCH)
    value = min(value, datetime(2107, 12, 31, 23, 59, 58, tzinfo=UTC))
    return (value.year, value.month, value.day, value.hour, value.minute, value.second // 2 * 2)


def deterministic_zip(files: Mapping[str, bytes], moment: datetime) -> bytes:
    """A zip of ``files`` (path → bytes): same inputs, same bytes."""
    stamp = zip_time(moment)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(files):
            info = zipfile.ZipInfo(path, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so the permission bits below are meaningful
            info.external_attr = (0o100644 & 0xFFFF) << 16  # regular file, rw-r--r--
            archive.writestr(info, files[path], compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
    return buffer.getvalue()
