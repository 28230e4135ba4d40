"""URL converters."""

from __future__ import annotations


class RecordIdConverter:
    """A record id in a URL: at most 18 digits, so it always fits the database's 64-bit ids
    and a longer number is a plain 404 rather than a driver error."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
