"""Content-addressed file storage outside static/: files are named by their SHA-256, their type
is decided from their content (never the extension), and they are only ever served as downloads."""

import hashlib
import io
import os
import re
import tempfile
import unicodedata
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import sqlalchemy as sa
from flask import abort, current_app, send_file
from PIL import Image

from tracker import events
from tracker.db import Base
from tracker.errors import InvalidValue
from tracker.extensions import db
from tracker.i18n import _
from tracker.security import security_event
from tracker.signatures import services as signatures

#: Accepted types: (content type, human name). Decided by `sniff`.
PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
GIF = "image/gif"
WEBP = "image/webp"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
OLE = "application/x-ole-storage"  # .doc, .xls, .ppt
ODF_PREFIX = "application/vnd.oasis.opendocument."
ZIP = "application/zip"

IMAGE_TYPES = {PNG, JPEG, GIF, WEBP}


class UploadError(InvalidValue):
    """An upload that is refused, with a message for the user; it concerns the form's or the
    request's `file` field, so pages show it there and the API answers 422 with that field."""

    def __init__(self, message, field: str | None = "file", **details):
        super().__init__(message, field, **details)


@dataclass(frozen=True)
class StoredFile:
    """What the database keeps about a stored file."""

    sha256: str
    size: int
    content_type: str
    file_name: str


#: What the parts of an Office Open XML or OpenDocument file may be named: XML and its
#: relationships, pictures, embedded objects and fonts (an ODF's `mimetype` and its object
#: replacements have no extension at all). Anything else in one, such as `payload.exe` or
#: `index.html`, is not a part of the format but a file smuggled in.
_ALLOWED_IN_OFFICE = {
    "",
    ".xml",
    ".rels",
    ".vml",
    ".rdf",
    ".bin",
    ".png",
    ".jpg",
    ".jpeg",
    ".jpe",
    ".gif",
    ".bmp",
    ".tif",
    ".tiff",
    ".emf",
    ".wmf",
    ".svg",
    ".svm",
    ".wdp",
    ".odttf",
    ".fntdata",
    ".ttf",
    ".otf",
    ".docx",
    ".xlsx",
    ".pptx",
    ".odt",
    ".ods",
    ".odp",
    ".odg",
    ".sldx",
}


def _office_member_allowed(name: str) -> bool:
    if name.endswith("/"):
        return True
    return PurePosixPath(name).suffix.lower() in _ALLOWED_IN_OFFICE


def _zip_kind(path: Path) -> str | None:
    """The type of a ZIP-based file: an OpenDocument or Office Open XML file whose members all
    belong to the format, or a ZIP of accepted files. Raises UploadError for an office file
    carrying a member no such file has."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            kind = None
            if "mimetype" in names:
                mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
                kind = mimetype if mimetype.startswith(ODF_PREFIX) else None
            elif "[Content_Types].xml" in names:
                if any(n.startswith("word/") for n in names):
                    kind = DOCX
                elif any(n.startswith("xl/") for n in names):
                    kind = XLSX
                elif any(n.startswith("ppt/") for n in names):
                    kind = PPTX
            elif all(_archive_member_allowed(n) for n in names):
                return ZIP
            if kind is None:
                return None
            unexpected = [n for n in names if not _office_member_allowed(n)]
            if unexpected:
                raise UploadError(
                    _(
                        "This office document contains a file that is not part of such a "
                        "document (%(name)s); it is not accepted.",
                        name=clean_file_name(unexpected[0]),
                    )
                )
            return kind
    except UploadError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError):
        return None


_ALLOWED_IN_ARCHIVE = {
    ".pdf",
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".webp",
    ".doc",
    ".docx",
    ".xls",
    ".xlsx",
    ".ppt",
    ".pptx",
    ".odt",
    ".ods",
    ".odp",
    ".txt",
    ".csv",
}


def _archive_member_allowed(name: str) -> bool:
    if name.endswith("/"):
        return True
    return PurePosixPath(name).suffix.lower() in _ALLOWED_IN_ARCHIVE


def sniff(path: Path) -> str | None:
    """The content type decided from the file's first bytes, or None when not accepted (an
    office document with a member that does not belong to it raises UploadError)."""
    with open(path, "rb") as fh:
        head = fh.read(16)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return OLE
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(path)
    return None


def clean_file_name(name: str | None) -> str:
    """The original name made safe to show and to put in a header: no path, no control chars.
    Vietnamese letters are kept (unlike werkzeug's secure_filename)."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    return name[:200] or "tep-tin"


# -- download names ------------------------------------------------------------------------------

#: The extensions a file of each accepted type may carry; the first is the one given.
EXTENSIONS = {
    PDF: (".pdf",),
    PNG: (".png",),
    JPEG: (".jpg", ".jpeg", ".jpe"),
    GIF: (".gif",),
    WEBP: (".webp",),
    DOCX: (".docx",),
    XLSX: (".xlsx",),
    PPTX: (".pptx",),
    ZIP: (".zip",),
    OLE: (".doc", ".xls", ".ppt"),
    ODF_PREFIX + "text": (".odt",),
    ODF_PREFIX + "spreadsheet": (".ods",),
    ODF_PREFIX + "presentation": (".odp",),
    ODF_PREFIX + "graphics": (".odg",),
    ODF_PREFIX + "chart": (".odc",),
    ODF_PREFIX + "formula": (".odf",),
    ODF_PREFIX + "text-master": (".odm",),
}
#: Which OLE file a stream name betrays (the names are stored in UTF-16).
_OLE_STREAMS = (
    ("WordDocument".encode("utf-16-le"), ".doc"),
    ("Workbook".encode("utf-16-le"), ".xls"),
    ("PowerPoint Document".encode("utf-16-le"), ".ppt"),
)
#: A suffix that looks like an extension (not "1.5 năm" in "Báo cáo 1.5 năm").
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,8}")


def _ole_extension(path: Path) -> str:
    with open(path, "rb") as fh:
        data = fh.read()
    for stream, extension in _OLE_STREAMS:
        if stream in data:
            return extension
    return EXTENSIONS[OLE][0]


def download_name(file_name: str, content_type: str, path: Path | None = None) -> str:
    """The name a stored file is served under: its own, ending with an extension of the type
    its content was found to be (`bao-cao.hta` holding a PDF is served as `bao-cao.pdf`)."""
    name = clean_file_name(file_name)
    allowed = EXTENSIONS.get(content_type)
    if allowed is None:
        return name
    stem, dot, suffix = name.rpartition(".")
    if dot and suffix.lower() in {e[1:] for e in allowed}:
        return name
    if dot and stem and _EXTENSION.fullmatch("." + suffix):
        name = stem  # "van-ban.docx.exe" → "van-ban.docx"
        if Path(name).suffix.lower() in allowed:
            return name
    extension = allowed[0]
    if content_type == OLE and path is not None:
        extension = _ole_extension(path)
    return name + extension


# -- where files live ----------------------------------------------------------------------------


def root() -> Path:
    """The folder holding the stored files."""
    return Path(current_app.config["UPLOAD_FOLDER"])


def path_for(sha256: str) -> Path:
    """Where a file with this hash lives."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("not a SHA-256 hex digest")
    return root() / sha256[:2] / sha256


def download(sha256: str, *, content_type: str, file_name: str):
    """The response serving a stored file: always as an attachment named with the extension of
    its detected type, sandboxed and never sniffed, so no browser renders it (404 when the file
    is missing)."""
    path = path_for(sha256)
    if not path.exists():
        abort(404)
    response = send_file(
        path,
        mimetype=content_type,
        as_attachment=True,
        download_name=download_name(file_name, content_type, path),
        max_age=0,
    )
    return _sealed(response)


def send_bytes(data: bytes, *, content_type: str, file_name: str):
    """The response serving a file made on the fly (not stored), as `download` serves a stored
    one: an attachment, sandboxed and never sniffed."""
    response = send_file(
        io.BytesIO(data),
        mimetype=content_type,
        as_attachment=True,
        download_name=clean_file_name(file_name),
        max_age=0,
    )
    return _sealed(response)


def _sealed(response):
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# -- which files rows reference --------------------------------------------------------------------

#: The `info` a model column holding a stored file's SHA-256 is declared with:
#: ``mapped_column(sa.String(64), info=STORED_FILE)``.
STORED_FILE = {"stored_file": True}


def stored_file_columns() -> list[sa.Column]:
    """Every column declared as holding the SHA-256 of a stored file, found in the models'
    metadata (so a new kind of stored file only has to be declared where its column is)."""
    return [
        column
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if column.info.get("stored_file")
    ]


def referenced_hashes(conn: sa.Connection | None = None) -> set[str]:
    """The SHA-256 of every stored file some row references; on `conn` (tables and columns not
    yet created, in an older schema being backed up, are skipped) or the app's session."""
    if conn is None:
        return {
            sha
            for column in stored_file_columns()
            for sha in db.session.scalars(sa.select(column).where(column.is_not(None)).distinct())
        }
    inspector = sa.inspect(conn)
    existing = set(inspector.get_table_names())
    columns_of: dict[str, set[str]] = {}
    hashes: set[str] = set()
    for column in stored_file_columns():
        table = column.table.name
        if table not in existing:
            continue
        if table not in columns_of:
            columns_of[table] = {c["name"] for c in inspector.get_columns(table)}
        if column.name in columns_of[table]:
            hashes.update(conn.scalars(sa.select(column).where(column.is_not(None)).distinct()))
    return hashes


def in_use(sha256: str) -> bool:
    """Whether any row (as the app's session sees it) references the stored file."""
    columns = stored_file_columns()
    if not columns:
        return False
    return bool(
        db.session.scalar(sa.select(sa.or_(*(sa.exists().where(c == sha256) for c in columns))))
    )


def remove_unused(*shas: str | None) -> None:
    """Delete the stored files no row references any more (call after commit)."""
    for sha in shas:
        if sha and not in_use(sha):
            path_for(sha).unlink(missing_ok=True)


# -- receiving uploads ----------------------------------------------------------------------------


def _write_temporary(prefix: str) -> tuple[int, Path]:
    folder = root()
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=prefix)
    return fd, Path(tmp_name)


def _place(tmp: Path, sha256: str) -> bool:
    """Move a temporary file to its place; False (and the copy deleted) when it was there.

    Every file enters the store here, so this is where a PDF's signatures are checked."""
    target = path_for(sha256)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        tmp.unlink(missing_ok=True)
        placed = False
    else:
        os.replace(tmp, target)
        placed = True
    # Checked without flushing the caller's unfinished objects; written with its transaction.
    with db.session.no_autoflush:
        if not signatures.is_checked(sha256) and sniff(target) == PDF:
            signatures.record_check(sha256, target.read_bytes())
    return placed


# -- signature checks ----------------------------------------------------------------------------


def _stored_pdfs(hashes) -> Iterator[tuple[str, bytes]]:
    for sha in sorted(hashes):
        path = path_for(sha)
        if path.exists() and sniff(path) == PDF:
            yield sha, path.read_bytes()


def recheck_signatures(*, signed_only: bool = False) -> signatures.Rechecked:
    """Check again the signatures of every stored PDF some row references (and forget the
    checks of files no longer stored), or with `signed_only` of those found signed: only their
    status depends on the trust anchors."""
    if signed_only:
        return signatures.recheck_all(
            _stored_pdfs(signatures.signed_hashes() & referenced_hashes()), complete=False
        )
    return signatures.recheck_all(_stored_pdfs(referenced_hashes()))


@events.trust_anchors_changed.connect
def _anchors_changed(_anchor, **_extra) -> None:
    recheck_signatures(signed_only=True)


def _receive_file(upload) -> tuple[StoredFile, Path]:
    """Check an upload (size, content type) into a temporary file in the store's folder."""
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    digest = hashlib.sha256()
    size = 0
    fd, tmp = _write_temporary(".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := upload.stream.read(1024 * 1024):
                size += len(chunk)
                if size > limit:
                    raise UploadError(
                        _("The file is larger than %(mb)d MB.", mb=limit // (1024 * 1024))
                    )
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise UploadError(_("The file is empty."))
        content_type = sniff(tmp)
        if content_type is None:
            raise UploadError(
                _(
                    "This kind of file is not accepted: upload a PDF, an image, an Office "
                    "document or a ZIP archive of those."
                )
            )
        stored = StoredFile(
            digest.hexdigest(), size, content_type, clean_file_name(upload.filename)
        )
        return stored, tmp
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, UploadError):
            security_event(
                "upload_refused", file_name=clean_file_name(upload.filename), reason=str(exc)
            )
        raise


@dataclass
class Incoming:
    """Uploads received during one request, kept out of the store until the service has
    accepted them, so a refused upload leaves nothing behind::

        with storage.Incoming() as incoming:
            file = incoming.receive(upload)  # checked, in a temporary file; UploadError if not
            services.add_evidence(..., stored=file.stored, thumbnail_sha256=file.thumbnail_sha256)
            incoming.keep()                  # the service accepted: into the store
            db.session.commit()

    Leaving the block removes the temporary files, and the files `keep` placed when no
    committed row references them (the transaction failed or was rolled back)."""

    _temporary: list[tuple[Path, str]] = field(default_factory=list)
    _placed: list[str] = field(default_factory=list)

    def receive(self, upload, *, thumbnail: bool = True) -> "Received":
        """Check an upload, and for an image that it decodes (making its thumbnail)."""
        stored, tmp = _receive_file(upload)
        self._temporary.append((tmp, stored.sha256))
        thumb = None
        if stored.content_type in IMAGE_TYPES:
            data = _thumbnail_png(tmp)
            if thumbnail:
                thumb = hashlib.sha256(data).hexdigest()
                fd, thumb_tmp = _write_temporary(".thumb-")
                self._temporary.append((thumb_tmp, thumb))
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
        return Received(stored, thumb)

    def keep(self) -> None:
        """Put the received files in the store (call once the service has accepted them)."""
        for tmp, sha in self._temporary:
            if _place(tmp, sha):
                self._placed.append(sha)
        self._temporary.clear()

    def __enter__(self) -> "Incoming":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        for tmp, _sha in self._temporary:
            tmp.unlink(missing_ok=True)
        self._temporary.clear()
        if self._placed:
            if exc_type is not None:
                db.session.rollback()
            remove_unused(*self._placed)
            self._placed.clear()


@dataclass(frozen=True)
class Received:
    """An upload that passed the checks: what to record about it, and its thumbnail."""

    stored: StoredFile
    thumbnail_sha256: str | None = None


def store(upload) -> StoredFile:
    """Check an uploaded file (size, content type) and store it under its SHA-256 at once (for
    callers with no service to refuse it: the demo loader, tests).

    Nothing is left behind when the file is refused."""
    stored, tmp = _receive_file(upload)
    _place(tmp, stored.sha256)
    return stored


THUMBNAIL_SIZE = (320, 320)
#: Refuse images whose pixel count could exhaust memory when decoded.
MAX_IMAGE_PIXELS = 60_000_000


def _thumbnail_png(path: Path) -> bytes:
    """Decode an image and return its PNG thumbnail; UploadError when it does not decode (or
    is absurdly large)."""
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                image.load()
                image.thumbnail(THUMBNAIL_SIZE)
                if image.mode not in ("RGB", "RGBA", "L", "LA"):
                    image = image.convert("RGBA")
                buffer = io.BytesIO()
                image.save(buffer, format="PNG", optimize=True)
    except (
        OSError,
        ValueError,
        SyntaxError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        raise UploadError(_("The image could not be read; it may be damaged.")) from None
    return buffer.getvalue()


def make_thumbnail(stored: StoredFile) -> str | None:
    """For a stored image, check that it decodes and store a PNG thumbnail; return its SHA-256.

    Raises UploadError for an image that does not decode (or is absurdly large)."""
    if stored.content_type not in IMAGE_TYPES:
        return None
    return store_bytes(_thumbnail_png(path_for(stored.sha256)), "thumbnail.png", PNG).sha256


def store_bytes(data: bytes, file_name: str, content_type: str) -> StoredFile:
    """Store bytes the application made itself (generated documents) under their SHA-256."""
    sha = hashlib.sha256(data).hexdigest()
    if not path_for(sha).exists():
        fd, tmp = _write_temporary(".generated-")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        _place(tmp, sha)
    return StoredFile(sha, len(data), content_type, clean_file_name(file_name))
