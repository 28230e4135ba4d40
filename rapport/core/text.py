"""Text normalisation for indexed prefix search."""

from __future__ import annotations

import unicodedata


def search_key(text: str) -> str:
    """Lower-case, accent-free form of a text, so "Éric" is found by typing "eric"."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))
