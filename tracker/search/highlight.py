"""The matched words of a result, marked: the text escaped, each word of the query (ignoring case
and diacritics) wrapped in <mark>."""

from markupsafe import Markup, escape

from tracker.search.index import WORD
from tracker.text import fold


def _marks(text: str, terms: list[str]) -> list[tuple[int, int]]:
    spans = []
    for m in WORD.finditer(text):
        folded = fold(m.group())
        if folded in terms:
            spans.append(m.span())
    return spans


def excerpt(
    text: str | None, terms: list[str], *, width: int, only_if_matched: bool = False
) -> Markup | None:
    """The text (or about `width` characters of it around the first match) with the matched
    words marked; None for no text, or for no match when `only_if_matched`."""
    text = text or ""
    spans = _marks(text, terms)
    if not text or (only_if_matched and not spans):
        return None
    start, end = 0, len(text)
    if len(text) > width:
        first = spans[0][0] if spans else 0
        start = max(0, min(first - width // 3, len(text) - width))
        # Start and end on whole words.
        if start > 0:
            space = text.find(" ", start)
            start = space + 1 if 0 <= space < first else start
        end = min(len(text), start + width)
        if end < len(text):
            space = text.rfind(" ", start, end)
            end = space if space > start else end
    out = Markup("…") if start > 0 else Markup("")
    position = start
    for a, b in spans:
        if a < start or b > end:
            continue
        out += escape(text[position:a]) + Markup("<mark>%s</mark>") % text[a:b]
        position = b
    out += escape(text[position:end])
    if end < len(text):
        out += Markup("…")
    return out
