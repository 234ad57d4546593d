"""The "Xuất báo cáo" form."""

from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import ValidationError

from tracker.forms import BaseForm, max_length, model_label, optional, options, required_date
from tracker.i18n import _l
from tracker.reports.models import GeneratedReport, ReviewKind


class ReviewForm(BaseForm):
    """Range, language, and the sections the editors write."""

    kind = SelectField(
        model_label(GeneratedReport.kind),
        choices=options(ReviewKind.choices()),
        default="five_year",
    )
    lang = SelectField(
        model_label(GeneratedReport.lang),
        choices=options([("vi", "Tiếng Việt"), ("en", "English")]),
        default="vi",
    )
    #: Empty: the kind's usual range (`services.default_range`); the page says which.
    date_from = DateField(model_label(GeneratedReport.date_from), validators=[optional()])
    date_to = DateField(model_label(GeneratedReport.date_to), validators=[optional()])
    issued_on = DateField(_l("Date of the document"), validators=[required_date()])
    issuer_parent = StringField(_l("Parent agency"), validators=[optional(), max_length(200)])
    issuer = StringField(_l("Issuing agency"), validators=[optional(), max_length(200)])
    number = StringField(
        _l("Number and symbol"),
        description=_l("e.g. 245/BC-UBND"),
        validators=[optional(), max_length(60)],
    )
    place = StringField(_l("Place"), validators=[optional(), max_length(100)])
    shortcomings = TextAreaField(
        _l("Shortcomings and causes (assessment)"), validators=[max_length(20000)]
    )
    direction = TextAreaField(_l("Direction for the next period"), validators=[max_length(20000)])
    recommendations = TextAreaField(_l("Recommendations"), validators=[max_length(20000)])
    signer_authority = TextAreaField(
        _l("Signing authority and title"),
        description=_l("One line each, e.g. TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH / PHÓ CHỦ TỊCH"),
        validators=[max_length(500)],
    )
    signer_name = StringField(_l("Signer's name"), validators=[optional(), max_length(120)])
    recipients = TextAreaField(
        _l("Recipients"),
        description=_l("One per line; end with “Lưu: VT, …”."),
        validators=[max_length(3000)],
    )

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end must be after the start."))


class SignForm(BaseForm):
    """The leader's key (and, for the seal, the organisation's): PKCS#12 files and their
    passwords, read in memory for this request and never stored."""

    key_file = FileField(
        _l("Your key file (PKCS#12: .p12 or .pfx)"),
        description=_l(
            "The file of your digital signature certificate, at most 100 KB. It is used for this "
            "signature only and never stored."
        ),
        validators=[FileRequired(message=_l("Choose your key file."))],
    )
    key_password = PasswordField(_l("Password of your key file"))
    seal_key_file = FileField(
        _l("The organisation's key file (optional)"),
        description=_l(
            "With it the review also carries the organisation's signature: the seal over your "
            "signature and the signature on the appendices."
        ),
    )
    seal_password = PasswordField(_l("Password of the organisation's key file"))


class ImageForm(BaseForm):
    """A signature or seal image: a PNG with a transparent background."""

    file = FileField(
        _l("Image (PNG)"),
        description=_l(
            "A PNG with a transparent background, at most 1 MB; the server re-encodes it."
        ),
        validators=[FileRequired(message=_l("Choose a file."))],
    )
