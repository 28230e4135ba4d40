"""Why a whole import is refused: one clear message, and nothing written."""

from __future__ import annotations


class ImportRefused(Exception):
    """The upload cannot be imported at all (wrong format, unsafe archive, missing columns…).

    The message is shown to the person as it is, so it is translated and says what to fix.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
