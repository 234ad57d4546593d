"""A comment's plain text as HTML: every character escaped, web addresses turned into links
(rel="noopener nofollow"), mentions highlighted with the current name of whom they mention."""

import re

from markupsafe import Markup, escape

from tracker.discussion.mentions import MENTION

#: A web address in running text; trailing punctuation is not part of it.
URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}»”’"


def _links(text: str) -> Markup:
    out, position = [], 0
    for match in URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        end = match.start() + len(url)
        out.append(escape(text[position : match.start()]))
        out.append(
            Markup('<a href="{0}" rel="noopener nofollow" target="_blank">{0}</a>').format(url)
        )
        position = end
    out.append(escape(text[position:]))
    return Markup("").join(out)


def render_body(body: str, names: dict[tuple[str, int], str]) -> Markup:
    """The text as safe HTML; ``names`` gives the current name of each mentioned person and
    unit by ("user" | "unit", id). A mention of someone unknown shows as the text it is."""
    out, position = [], 0
    for match in MENTION.finditer(body):
        name = names.get((match.group(2), int(match.group(3))))
        if name is None:
            continue
        out.append(_links(body[position : match.start()]))
        out.append(
            Markup('<span class="mention mention-{0}">@{1}</span>').format(match.group(2), name)
        )
        position = match.end()
    out.append(_links(body[position:]))
    return Markup("").join(out)
