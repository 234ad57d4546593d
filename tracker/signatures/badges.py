"""How a signature check reads to a person, in one place: the badge on the lists, the column of
the evidence register's export and of the review's Appendix 3."""

from dataclasses import dataclass

from tracker.i18n import _, fmt_datetime
from tracker.signatures.models import SignatureCheck
from tracker.signatures.validation import Problem, SignatureStatus

PDF = "application/pdf"

#: The badge's look per status (a class of static/css/app.css).
_TONES = {
    SignatureStatus.unsigned: "sig-none",
    SignatureStatus.valid: "sig-valid",
    SignatureStatus.untrusted: "sig-warn",
    SignatureStatus.expired: "sig-bad",
    SignatureStatus.revoked: "sig-bad",
    SignatureStatus.modified: "sig-bad",
    SignatureStatus.invalid: "sig-bad",
}


@dataclass(frozen=True)
class Badge:
    """What a list shows about a stored file's signatures."""

    status: SignatureStatus | None  #: None: a PDF not checked yet
    text: str  #: the sentence ("Đã ký số bởi … lúc …, hợp lệ")
    short: str  #: the status alone, for narrow columns
    tone: str
    note: str | None = None  #: why, when the status needs explaining


def _signer(detail) -> str:
    if detail.signer and detail.organisation and detail.organisation != detail.signer:
        return f"{detail.signer} ({detail.organisation})"
    return detail.signer or detail.organisation or _("an unnamed signer")


def badge(check: SignatureCheck | None, content_type: str | None = PDF) -> Badge | None:
    """The badge of a stored file: None for a file that is no PDF (nothing to check)."""
    if check is None:
        if content_type != PDF:
            return None
        return Badge(None, _("Signatures not checked yet"), _("not checked"), "sig-none")
    status = check.status
    short = status.text
    detail = check.first
    if detail is None:
        if status is SignatureStatus.unsigned:
            return Badge(status, _("Not digitally signed"), short, _TONES[status])
        try:
            problem = Problem(check.problem)
        except ValueError:
            problem = Problem.unreadable
        return Badge(status, _("Digital signature not valid"), short, _TONES[status], problem.text)
    if detail.signed_at:
        text = _(
            "Digitally signed by %(signer)s at %(time)s, %(status)s",
            signer=_signer(detail),
            time=fmt_datetime(detail.signed_at),
            status=short,
        )
    else:
        text = _("Digitally signed by %(signer)s, %(status)s", signer=_signer(detail), status=short)
    notes = [detail.problem.text] if detail.problem else []
    others = len(check.signatures) - 1
    if others > 0:
        notes.append(_("other signatures on the file: %(n)d", n=others))
    return Badge(status, text, short, _TONES[status], "; ".join(notes) or None)


def column_text(check: SignatureCheck | None, content_type: str | None = PDF) -> str:
    """The badge's sentence for an export's cell (empty for a file that is no PDF)."""
    shown = badge(check, content_type)
    return shown.text if shown else ""


def init_app(app) -> None:
    """Let templates make badges (templates/_macros/signatures.html)."""
    app.add_template_global(badge, "signature_badge_of")
