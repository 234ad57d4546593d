"""Pages for exchanging agreements: export to JSON or Excel, the Excel template, and the import
page (upload → preview of what would change → confirm)."""

import io
import json
import re
import secrets
import time
from hashlib import sha256
from pathlib import Path

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField

from tracker.agreements.models import Agreement
from tracker.agreements.permissions import (
    agreements_visible_to,
    can_edit_agreement,
    can_view_agreement,
)
from tracker.agreements.queries import agreement_full
from tracker.auth.models import Role
from tracker.auth.permissions import roles_required
from tracker.errors import InvalidValue
from tracker.extensions import db
from tracker.forms import BaseForm, read_limited
from tracker.i18n import _, _l
from tracker.interop import excel, xlsx
from tracker.interop.json import (
    MAX_JSON_BYTES,
    document_bytes,
    export_agreement,
    load_json,
    run_import,
)
from tracker.progress import figures
from tracker.workbooks import XLSX_MIMETYPE

bp = Blueprint("interop", __name__)

#: How long an uploaded file waits for its confirmation.
STASH_SECONDS = 3600
_STASH_KEY = re.compile(r"^[A-Za-z0-9_-]{32}$")


class ImportForm(BaseForm):
    """Upload a tracker.agreement/v1 .json file or an .xlsx workbook."""

    file = FileField(
        _l("File"),
        description=_l(
            "A tracker.agreement/v1 .json file (creates or updates the agreement of its code), "
            "or an Excel .xlsx workbook filled from the template (its commitments are added to "
            "or updated in the agreement chosen below). At most 10 MB."
        ),
        validators=[FileRequired(message=_l("Choose a file."))],
    )
    agreement = SelectField(
        _l("Agreement (for an Excel workbook)"),
        description=_l("Not needed for a workbook exported or downloaded for an agreement."),
        choices=[],
        default="",
    )


class ConfirmForm(BaseForm):
    """Confirm the import previewed."""

    key = HiddenField()


# -- export --------------------------------------------------------------------------------------


def _visible(code: str) -> Agreement:
    agreement = agreement_full(code)
    if agreement is None or not can_view_agreement(current_user, agreement):
        abort(404)
    return agreement


@bp.route("/agreements/<code>/export.json")
@login_required
def export_json(code):
    """The agreement as a tracker.agreement/v1 file."""
    agreement = _visible(code)
    return send_file(
        io.BytesIO(document_bytes(export_agreement(agreement))),
        mimetype="application/json",
        as_attachment=True,
        download_name=f"{agreement.code}.json",
        max_age=0,
    )


@bp.route("/agreements/<code>/export.xlsx")
@login_required
def export_xlsx(code):
    """The agreement as an Excel workbook, one sheet per concern, its summary judged as of
    `?as_of=` (the agreement page's date) or the agreement's own day."""
    agreement = _visible(code)
    wanted, problem = figures.asked_as_of(request.args.get("as_of"))
    if problem:
        flash(str(problem), "danger")
        return redirect(url_for("agreements.detail", code=agreement.code))
    return send_file(
        io.BytesIO(xlsx.export_workbook(agreement, wanted)),
        mimetype=XLSX_MIMETYPE,
        as_attachment=True,
        download_name=f"{agreement.code}.xlsx",
        max_age=0,
    )


@bp.route("/import/template.xlsx")
@roles_required(Role.dic, Role.admin)
def template():
    """The Excel template for commitments (with the agreement's units when ?agreement=CODE)."""
    agreement = None
    code = request.args.get("agreement", "")
    if code:
        agreement = _visible(code)
    name = f"mau-nhap-cam-ket-{agreement.code}.xlsx" if agreement else "mau-nhap-cam-ket.xlsx"
    return send_file(
        io.BytesIO(xlsx.template_workbook(agreement)),
        mimetype=XLSX_MIMETYPE,
        as_attachment=True,
        download_name=name,
        max_age=0,
    )


# -- import --------------------------------------------------------------------------------------


def _editable_agreements() -> list[Agreement]:
    agreements = db.session.scalars(
        agreements_visible_to(current_user).order_by(Agreement.code)
    ).all()
    return [a for a in agreements if can_edit_agreement(current_user, a) and a.editable]


def _stash_dir() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / ".imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _stash(data: bytes, meta: dict) -> str:
    """Keep an uploaded file until it is confirmed (old ones are removed)."""
    folder = _stash_dir()
    now = time.time()
    for old in folder.iterdir():
        try:
            if now - old.stat().st_mtime > STASH_SECONDS:
                old.unlink(missing_ok=True)
        except OSError:
            pass
    key = secrets.token_urlsafe(24)
    (folder / f"{key}.data").write_bytes(data)
    meta = {**meta, "user_id": current_user.id, "sha256": sha256(data).hexdigest()}
    (folder / f"{key}.json").write_text(json.dumps(meta), encoding="utf-8")
    return key


def _unstash(key: str) -> tuple[bytes, dict] | None:
    if not key or not _STASH_KEY.match(key):
        return None
    folder = _stash_dir()
    meta_path, data_path = folder / f"{key}.json", folder / f"{key}.data"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        data = data_path.read_bytes()
        fresh = time.time() - meta_path.stat().st_mtime <= STASH_SECONDS
    except (OSError, ValueError):
        return None
    if not fresh or meta.get("user_id") != current_user.id:
        return None
    if sha256(data).hexdigest() != meta.get("sha256"):
        return None
    return data, meta


def _drop_stash(key: str) -> None:
    if _STASH_KEY.match(key or ""):
        for suffix in (".data", ".json"):
            (_stash_dir() / f"{key}{suffix}").unlink(missing_ok=True)


def _kind(data: bytes, file_name: str) -> str:
    """Decide from the content (not the name) whether a file is a workbook or JSON."""
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if file_name.lower().endswith((".xlsx", ".xlsm", ".xls")):
        raise InvalidValue(_("The file is not an Excel workbook (.xlsx)."), "file")
    return "json"


def _run(kind: str, data: bytes, agreement_code: str | None, *, dry_run: bool):
    if kind == "json":
        return run_import(load_json(data), dry_run=dry_run, user=current_user)
    agreement = db.session.scalar(sa.select(Agreement).where(Agreement.code == agreement_code))
    if agreement is None or not can_view_agreement(current_user, agreement):
        raise InvalidValue(
            _("Choose the agreement the workbook's commitments go into."), "agreement"
        )
    return excel.import_commitments(agreement, data, dry_run=dry_run, user=current_user)


def _kind_labels() -> dict:
    return {
        "province": _("Province"),
        "unit": _("Unit"),
        "agreement": _("Agreement"),
        "status_change": _("Status change"),
        "area": _("Area"),
        "commitment": _("Commitment"),
        "milestone": _("Milestone"),
        "indicator": _("Indicator"),
        "measurement": _("Value"),
        "directive": _("Directive"),
    }


def _page(form, *, summary=None, errors=None, confirm=None, status=200):
    return (
        render_template(
            "interop/import.html",
            form=form,
            summary=summary,
            errors=errors or [],
            confirm=confirm,
            kinds=_kind_labels(),
            max_mb=MAX_JSON_BYTES // (1024 * 1024),
        ),
        status,
    )


@bp.route("/import", methods=["GET", "POST"])
@roles_required(Role.dic, Role.admin)
def import_file():
    """Upload a file and see what importing it would change; nothing is written yet."""
    form = ImportForm()
    form.agreement.choices = [("", "—")] + [(a.code, str(a)) for a in _editable_agreements()]
    if request.method == "GET":
        form.agreement.data = request.args.get("agreement", "")
        return _page(form)
    if not form.validate_on_submit():
        return _page(form, status=400)
    upload = form.file.data
    limit = max(MAX_JSON_BYTES, excel.MAX_XLSX_BYTES)
    data = read_limited(upload, limit)
    file_name = upload.filename or ""
    try:
        if len(data) > limit:
            raise InvalidValue(
                _("The file is larger than %(mb)d MB.", mb=limit // (1024 * 1024)), "file"
            )
        if not data:
            raise InvalidValue(_("The file is empty."), "file")
        kind = _kind(data, file_name)
        target = form.agreement.data
        if kind == "xlsx" and not target:
            target = excel.agreement_code_in(data)  # exports and templates name their agreement
            if not target:
                raise InvalidValue(
                    _("Choose the agreement the workbook's commitments go into."), "agreement"
                )
        summary = _run(kind, data, target, dry_run=True)
    except InvalidValue as exc:
        db.session.rollback()
        errors = [str(e) for e in getattr(exc, "errors", None) or [exc.message]]
        return _page(form, errors=errors, status=422)
    key = _stash(data, {"kind": kind, "agreement": target, "file_name": file_name})
    return _page(form, summary=summary, confirm=ConfirmForm(key=key))


@bp.route("/import/confirm", methods=["POST"])
@roles_required(Role.dic, Role.admin)
def confirm_import():
    """Import the previewed file for real, in one transaction."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    stashed = _unstash(form.key.data)
    if stashed is None:
        flash(_("The uploaded file has expired; upload it again."), "warning")
        return redirect(url_for(".import_file"))
    data, meta = stashed
    try:
        summary = _run(meta["kind"], data, meta.get("agreement"), dry_run=False)
        db.session.commit()
    except InvalidValue as exc:
        db.session.rollback()
        errors = [str(e) for e in getattr(exc, "errors", None) or [exc.message]]
        upload_form = ImportForm(formdata=None)
        upload_form.agreement.choices = [("", "—")] + [
            (a.code, str(a)) for a in _editable_agreements()
        ]
        return _page(upload_form, errors=errors, status=422)
    _drop_stash(form.key.data)
    counts = {"create": 0, "update": 0, "delete": 0}
    for row in summary.counts.values():
        for action, n in row.items():
            counts[action] += n
    flash(
        _(
            "Imported %(code)s: %(created)d records created, %(updated)d updated, "
            "%(deleted)d deleted.",
            code=summary.code,
            created=counts["create"],
            updated=counts["update"],
            deleted=counts["delete"],
        ),
        "success",
    )
    return redirect(url_for("agreements.detail", code=summary.code))
