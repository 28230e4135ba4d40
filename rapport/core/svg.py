"""Small helpers for the SVG drawn on the server (account maps, roadmap Gantt charts)."""

from __future__ import annotations

from xml.sax.saxutils import escape as xml_escape


def escape(value: object) -> str:
    return xml_escape(str(value), {'"': "&quot;"})


def number(value: float) -> str:
    """A coordinate with one decimal at most, and none when it is whole."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def tag(name: str, attributes: dict[str, object], content: str | None = None) -> str:
    """An element; attributes whose value is None are left out, every value is escaped."""
    rendered = "".join(
        f' {key}="{escape(_shown(value))}"'
        for key, value in attributes.items()
        if value is not None
    )
    if content is None:
        return f"<{name}{rendered}/>"
    return f"<{name}{rendered}>{content}</{name}>"


def _shown(value: object) -> object:
    if isinstance(value, float | int) and not isinstance(value, bool):
        return number(value)
    return value


def title(text: str) -> str:
    return f"<title>{escape(text)}</title>"
