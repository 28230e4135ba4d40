"""Markdown notes rendered to safe HTML.

markdown-it-py with raw HTML switched off escapes any tag typed into a note, and its link
validation drops ``javascript:``, ``vbscript:`` and ``data:`` (except images) addresses, so a
note cannot carry a script into the page. Links open outside the app without a referrer.
"""

from __future__ import annotations

from functools import lru_cache

from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    parser.enable(["table", "strikethrough"])

    # markdown-it binds render rules to the renderer: the first argument is the renderer.
    def render_link_open(renderer, tokens, index, options, env):  # type: ignore[no-untyped-def]
        tokens[index].attrSet("rel", "noopener noreferrer nofollow")
        tokens[index].attrSet("target", "_blank")
        return renderer.renderToken(tokens, index, options, env)

    parser.add_render_rule("link_open", render_link_open)
    return parser


def render_markdown(text: str) -> SafeString:
    """The HTML of a Markdown text; everything the author typed as HTML comes out escaped."""
    if not text:
        return SafeString("")
    return mark_safe(_parser().render(text))  # noqa: S308  # raw HTML is off in the parser
