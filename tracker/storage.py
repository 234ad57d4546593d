"""Content-addressed file storage outside static/: files are named by their SHA-256, their type
is decided from their content (never the extension), and they are only ever served as downloads."""

import hashlib
import os
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flask import abort, current_app, send_file

from tracker.i18n import _

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


class UploadError(ValueError):
    """An upload that is refused, with a message for the user."""


@dataclass(frozen=True)
class StoredFile:
    """What the database keeps about a stored file."""

    sha256: str
    size: int
    content_type: str
    file_name: str


def _zip_kind(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
                return mimetype if mimetype.startswith(ODF_PREFIX) else None
            if "[Content_Types].xml" in names:
                if any(n.startswith("word/") for n in names):
                    return DOCX
                if any(n.startswith("xl/") for n in names):
                    return XLSX
                if any(n.startswith("ppt/") for n in names):
                    return PPTX
                return None
            if all(_archive_member_allowed(n) for n in names):
                return ZIP
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
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
    return Path(name).suffix.lower() in _ALLOWED_IN_ARCHIVE


def sniff(path: Path) -> str | None:
    """The content type decided from the file's first bytes, or None when not accepted."""
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


def root() -> Path:
    """The folder holding the stored files."""
    return Path(current_app.config["UPLOAD_FOLDER"])


def path_for(sha256: str) -> Path:
    """Where a file with this hash lives."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("not a SHA-256 hex digest")
    return root() / sha256[:2] / sha256


def download(sha256: str, *, content_type: str, file_name: str):
    """The response serving a stored file: always as an attachment, sandboxed and never sniffed,
    so no browser renders it (404 when the file is missing)."""
    path = path_for(sha256)
    if not path.exists():
        abort(404)
    response = send_file(
        path,
        mimetype=content_type,
        as_attachment=True,
        download_name=file_name,
        max_age=0,
    )
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def store(upload) -> StoredFile:
    """Check an uploaded file (size, content type) and store it under its SHA-256.

    Nothing is left behind when the file is refused."""
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    folder = root()
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=".upload-")
    tmp = Path(tmp_name)
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
        sha = digest.hexdigest()
        target = path_for(sha)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            tmp.unlink()
        else:
            os.replace(tmp, target)
        return StoredFile(sha, size, content_type, clean_file_name(upload.filename))
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, UploadError):
            from tracker.security import security_event

            security_event(
                "upload_refused", file_name=clean_file_name(upload.filename), reason=str(exc)
            )
        raise


THUMBNAIL_SIZE = (320, 320)
#: Refuse images whose pixel count could exhaust memory when decoded.
MAX_IMAGE_PIXELS = 60_000_000


def make_thumbnail(stored: StoredFile) -> str | None:
    """For an image, check that it decodes and store a PNG thumbnail; return its SHA-256.

    Raises UploadError for an image that does not decode (or is absurdly large)."""
    if stored.content_type not in IMAGE_TYPES:
        return None
    import io
    import warnings

    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path_for(stored.sha256)) as image:
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
    data = buffer.getvalue()
    sha = hashlib.sha256(data).hexdigest()
    target = path_for(sha)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=root(), prefix=".thumb-")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp_name, target)
    return sha


def remove_if_unreferenced(sha256: str, still_used: bool) -> None:
    """Delete a stored file no record points to any more (called after commit)."""
    if not still_used:
        path_for(sha256).unlink(missing_ok=True)


def store_bytes(data: bytes, file_name: str, content_type: str) -> StoredFile:
    """Store bytes the application made itself (generated documents) under their SHA-256."""
    sha = hashlib.sha256(data).hexdigest()
    target = path_for(sha)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=root(), prefix=".generated-")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp_name, target)
    return StoredFile(sha, len(data), content_type, clean_file_name(file_name))
