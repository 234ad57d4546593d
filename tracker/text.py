"""Text as the tracker stores and searches it, whatever the entry point (form, API, JSON or Excel
import)."""

import re
import unicodedata

#: Control characters no stored text keeps (tab and line breaks are kept in multi-line text),
#: and lone surrogates, which no database can store.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")

#: In a one-line value (a name, a title, a code) line breaks and tabs are control characters
#: too: they would break an e-mail header or a spreadsheet cell.
LINE_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


def clean_text(value: str | None, *, multiline: bool = True) -> str | None:
    """Text as stored: NFC, without control characters (line breaks kept in multi-line text;
    in one-line text they become spaces), trimmed; None when nothing is left."""
    if value is None:
        return None
    value = unicodedata.normalize("NFC", value)
    if multiline:
        value = CONTROL_CHARS.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    else:
        value = re.sub(" {2,}", " ", LINE_CONTROL_CHARS.sub(" ", value))
    value = value.strip()
    return value or None


def has_control_chars(value: str, *, multiline: bool = True) -> bool:
    """Whether the text holds characters clean_text would remove."""
    pattern = CONTROL_CHARS if multiline else LINE_CONTROL_CHARS
    return bool(pattern.search(value))


def nfc(value):
    """Text normalised to NFC (Vietnamese typed on some systems arrives decomposed)."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    return value


def fold(text: str | None) -> str:
    """Lower-case text without diacritics, for searching: 'Đắk Lắk' -> 'dak lak'."""
    if not text:
        return ""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return " ".join(text.lower().split())
