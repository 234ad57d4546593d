"""Every page a user can reach, as every demo role: sign in, follow every same-site link (GET)
from the home page, and check each answer. No page may answer a server error, and no HTML page
may show `None`, a raw enum value (`in_force`), a database id (`id=`, `#12`) or an unrendered template
marker (`{{`, `{%`, `%(`)."""

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import parse_qs, urldefrag, urljoin, urlsplit

import pytest

from tests.conftest import text_of
from tracker.labels import LabelledEnum

pytestmark = pytest.mark.demo_data

PASSWORD = "Demo-2026-tracker"

#: role -> (demo account, the fewest pages its crawl must reach)
ROLES = {
    "dic": ("dic.quangtri@demo.vn", 150),
    "vnpt": ("vnpt.quangtri@demo.vn", 150),
    "leader": ("leader.quangtri@demo.vn", 100),
    "admin": ("admin@demo.vn", 200),
    "national_vnpt": ("vnpt.hq@demo.vn", 200),
    "other_province": ("dic.vinhlong@demo.vn", 40),
}

#: Never followed: signing out ends the crawl's session.
SKIP = {"/logout"}

#: A list's sort and export links (tracker.listing) are followed once per list, column, direction
#: and export, not once more for every combination of filters that links reach: that product
#: would multiply the crawl without checking anything new.
LIST_ARGS = ("sort", "dir", "export")

#: Answers that are files, not pages: fetched and their status checked, their body not read.
FILE_TYPES = ("application/pdf", "application/json", "text/calendar", "image/", "application/vnd")


def _enum_values() -> set[str]:
    values, todo = set(), [LabelledEnum]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        values.update(m.value for m in cls if "_" in m.value)
    return values


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def _links(base: str, html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    found = []
    for href in parser.hrefs:
        url = urldefrag(urljoin(base, href)).url
        parts = urlsplit(url)
        if parts.scheme not in ("", "http") or parts.netloc not in ("", "localhost"):
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if path.startswith("/") and parts.path not in SKIP:
            found.append(path)
    return found


def _faults(text: str, raw_values: set[str]) -> list[str]:
    faults = []
    if re.search(r"\bNone\b", text):
        faults.append("shows None")
    words = set(re.findall(r"\b[a-z]+(?:_[a-z]+)+\b", text))
    if shown := sorted(words & raw_values):
        faults.append(f"shows raw values {shown}")
    if re.search(r"\bid=", text):
        faults.append("shows id=")
    if re.search(r"(?<![\w&])#\d+\b", text):  # "Giai đoạn #6": a record by its database id
        faults.append("shows a #id")
    for marker in ("{{", "{%", "%(", "}}"):
        if marker in text:
            faults.append(f"shows {marker!r}")
    return faults


def _list_variant(path: str):
    """The list, sort and export a path asks for (None when it asks for no sort or export)."""
    parts = urlsplit(path)
    args = parse_qs(parts.query)
    if not any(name in args for name in LIST_ARGS):
        return None
    return parts.path, tuple((name, tuple(args.get(name, ()))) for name in LIST_ARGS)


def crawl(client) -> tuple[dict[str, int], dict[str, list[str]]]:
    """Every page reachable from the home page: path -> status, and path -> faults found."""
    raw_values = _enum_values()
    statuses, faults = {}, {}
    variants = set()
    queue = deque(["/"])
    while queue:
        path = queue.popleft()
        if path in statuses:
            continue
        if (variant := _list_variant(path)) is not None:
            if variant in variants:
                continue
            variants.add(variant)
        try:
            response = client.get(path)
        except Exception as exc:  # the testing app propagates a view's exception (a 500)
            statuses[path] = 500
            faults[path] = [f"raises {type(exc).__name__}: {str(exc)[:200]}"]
            continue
        statuses[path] = response.status_code
        content_type = response.headers.get("Content-Type", "")
        if response.status_code >= 500:
            faults[path] = [f"answers {response.status_code}"]
            continue
        if response.status_code in (301, 302, 303, 307, 308):
            location = urlsplit(response.headers["Location"])
            if location.netloc in ("", "localhost") and location.path not in SKIP:
                target = location.path + (f"?{location.query}" if location.query else "")
                queue.append(target)
            continue
        if not content_type.startswith("text/html") or any(
            content_type.startswith(t) for t in FILE_TYPES
        ):
            continue
        html = response.get_data(as_text=True)
        if found := _faults(text_of(response), raw_values):
            faults[path] = found
        queue.extend(p for p in _links(path, html) if p not in statuses)
    return statuses, faults


@pytest.mark.parametrize("role", ROLES)
def test_every_reachable_page_works(app, demo, role):
    email, minimum = ROLES[role]
    client = app.test_client()
    signed_in = client.post("/login", data={"email": email, "password": PASSWORD})
    assert signed_in.status_code == 302, email
    statuses, faults = crawl(client)
    print(f"\ncrawl {role} ({email}): {len(statuses)} pages")
    assert faults == {}
    assert len(statuses) >= minimum
