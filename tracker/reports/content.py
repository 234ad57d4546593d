"""The words of a review, one truth for every format: the PDF (tracker.reports.pdf.five_year) and
the Word file (tracker.reports.word) lay out the same blocks in the same order, so every
sentence, heading, table header and row is written here once.

`review(data, options)` gives the document as plain blocks: the header block's texts, the title,
paragraphs with a style name, grids (a table's header, rows and column shares), charts (a
function drawing the chart at a width, and its caption), the closing and the appendices."""

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_decimal

from tracker.agreements.models import Completion, MilestoneStatus
from tracker.i18n import _
from tracker.org.models import province_full_name
from tracker.progress.figures import HEALTHS
from tracker.progress.health import Health
from tracker.progress.models import EvidenceKind
from tracker.reports.pdf import charts
from tracker.signatures.validation import SignatureStatus

MAX_CHARTS = 6


@dataclass
class ReviewOptions:
    """What the editors choose and write; saved with each generated document."""

    kind: str = "five_year"
    lang: str = "vi"
    issuer_parent: str = ""
    issuer: str = ""
    number: str = ""
    place: str = ""
    issued_on: date | None = None
    shortcomings: str = ""
    direction: str = ""
    recommendations: str = ""
    signer_authority: str = ""
    signer_name: str = ""
    recipients: list[str] = field(default_factory=list)


class Formats:
    """Numbers, money and dates as the review writes them in its language."""

    def __init__(self, lang: str):
        self.lang = lang

    def number(self, value) -> str:
        if value is None:
            return "—"
        if isinstance(value, Decimal):
            value = value.normalize() if value != value.to_integral() else value.to_integral()
        return format_decimal(value, format="#,##0.###", locale=self.lang)

    def money(self, value) -> str:
        if value is None:
            return "—"
        return f"{format_decimal(value, format='#,##0', locale=self.lang)} " + (
            "đồng" if self.lang == "vi" else "VND"
        )

    @property
    def currency(self) -> str:
        return "đồng" if self.lang == "vi" else "VND"

    def amount(self, value) -> str:
        return "—" if value is None else format_decimal(value, format="#,##0", locale=self.lang)

    def date(self, value) -> str:
        return value.strftime("%d/%m/%Y") if value else "—"

    def place_date(self, place: str, on: date) -> str:
        """Quảng Bình, ngày 24 tháng 9 năm 2020 (days 1–9 and months 1–2 with a leading zero)."""
        if self.lang == "vi":
            month = f"{on.month:02d}" if on.month <= 2 else str(on.month)
            return f"{place}, ngày {on.day:02d} tháng {month} năm {on.year}"
        return f"{place}, {format_date(on, 'd MMMM y', locale='en')}"


def nfc(value) -> str:
    return unicodedata.normalize("NFC", str(value or ""))


def caps(value: str) -> str:
    return nfc(value).upper()


def labels() -> dict:
    return {
        "committed_by": {"province": _("Province"), "vnpt": _("VNPT")},
        "completion": {c.value: str(c.label) for c in Completion},
        "health": {h.value: str(h.label) for h in Health},
        "milestone": {m.value: str(m.label) for m in MilestoneStatus},
        "evidence": {k.value: str(k.label) for k in EvidenceKind},
    }


def defaults(data, options: ReviewOptions) -> ReviewOptions:
    """Fill what the editors left empty from the agreement."""
    province = data.province_now or data.province
    if not options.issuer:
        options.issuer = (
            f"Ủy ban nhân dân\n{province_full_name(province, data.province_is_city)}"
            if options.lang == "vi"
            else f"People's Committee\nof {province}"
        )
    if not options.place:
        options.place = province
    if not options.number:
        options.number = "\u00a0" * 8 + "/BC-UBND"
    if not options.signer_authority:
        options.signer_authority = (
            "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH"
            if options.lang == "vi"
            else "ON BEHALF OF THE PEOPLE'S COMMITTEE\nCHAIRMAN"
        )
    if not options.recipients:
        options.recipients = (
            [
                "Tập đoàn Bưu chính Viễn thông Việt Nam;",
                "Thường trực Tỉnh ủy, HĐND tỉnh;",
                "Các sở, ban, ngành;",
                "Lưu: VT.",
            ]
            if options.lang == "vi"
            else [
                "Viet Nam Posts and Telecommunications Group;",
                "Departments concerned;",
                "Archive.",
            ]
        )
    return options


# -- blocks --------------------------------------------------------------------------------------


class Bold(str):
    """Text set in bold (a table's total, a commitment's title)."""


@dataclass
class Para:
    """A paragraph. Styles: heading1, heading2, heading3, body (first line indented), body_plain,
    bullet, caption. Headings stay with what follows (their styles say so); `keep_with_next`
    asks it of another paragraph."""

    style: str
    text: str
    keep_with_next: bool = False


@dataclass
class Grid:
    """A table: header texts, rows, each column's share of the text width, the numeric columns
    (right-aligned). A cell is a text, a Bold text, or a list of lines (a Bold first line is the
    cell's title). `kind` names the table for the formats' details ("summary", "commitments")."""

    kind: str
    header: list[str]
    rows: list[list]
    shares: list[float]
    numeric_cols: tuple[int, ...] = ()


@dataclass
class Chart:
    """A chart: `draw(width)` gives the reportlab drawing (the same for every format)."""

    draw: Callable
    caption: str
    #: Kept on one page with its caption.
    keep: bool = False


@dataclass
class Header:
    parent: str
    issuer: str
    number: str
    country: str
    motto: str
    place_date: str


@dataclass
class Closing:
    recipients_title: str
    recipients: list[str]
    authority: list[str]
    signer_name: str


@dataclass
class Appendix:
    """An appendix on its own page: a title and a long table (plain text cells); `hash_col` holds
    a SHA-256, printed on two lines of 32 digits."""

    title: str
    header: list[str]
    rows: list[list[str]]
    shares: list[float]
    size: float
    numeric_cols: tuple[int, ...] = ()
    hash_col: int | None = None


@dataclass
class Review:
    header: Header
    doc_type: str
    subject: str
    #: Sections I–IV: Para, Grid and Chart blocks in order.
    body: list
    closing: Closing
    appendices: list[Appendix]
    #: The document's title in its properties.
    title: str


def review(data, options: ReviewOptions) -> Review:
    """The review's blocks. Call inside `flask_babel.force_locale(options.lang)`. The options are
    not changed: what the editors left empty stays empty in the saved options."""
    options = defaults(data, replace(options))
    fmt = Formats(options.lang)
    names = labels()
    issued_on = options.issued_on or data.date_to
    doc_type, subject = title(data, options, fmt)
    return Review(
        header=header(options, fmt, issued_on),
        doc_type=doc_type,
        subject=subject,
        body=[
            *background(data, fmt),
            *results(data, fmt, names),
            *shortcomings(data, options, fmt, names),
            *direction(options),
        ],
        closing=closing(options),
        appendices=appendices(data, fmt, names),
        title=data.title,
    )


# -- header and title -------------------------------------------------------------------------


def header(options, fmt, issued_on) -> Header:
    vi = options.lang == "vi"
    return Header(
        parent=caps(options.issuer_parent),
        issuer=caps(options.issuer),
        number=f"{'Số' if vi else 'No.'}: {options.number}",
        country="CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" if vi else "SOCIALIST REPUBLIC OF VIET NAM",
        motto="Độc lập - Tự do - Hạnh phúc" if vi else "Independence - Freedom - Happiness",
        place_date=nfc(fmt.place_date(options.place, issued_on)),
    )


def title(data, options, fmt) -> tuple[str, str]:
    """The kind of document (BÁO CÁO) and its subject line."""
    if options.kind == "five_year":
        subject = _("Five-year review of the implementation of the %(title)s", title=data.title)
    elif options.kind == "annual":
        subject = _(
            "Review of the year %(year)s of the implementation of the %(title)s",
            year=data.date_to.year,
            title=data.title,
        )
    else:
        subject = _(
            "Interim review (%(start)s – %(end)s) of the implementation of the %(title)s",
            start=fmt.date(data.date_from),
            end=fmt.date(data.date_to),
            title=data.title,
        )
    return _("REPORT"), subject


# -- I. background --------------------------------------------------------------------------------


def _names_parties(title: str) -> bool:
    """Whether an agreement's title already says between whom it was made ("… giữa UBND tỉnh
    Quảng Bình và Tập đoàn …"): the opening sentence then doesn't say it a second time."""
    return bool(re.search(r"\b(giữa|between)\b", title, re.IGNORECASE))


def _capitalised(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


def background(data, fmt) -> list[Para]:
    out = [Para("heading1", _("I. BACKGROUND AND LEGAL BASES"))]

    def named(name):
        return province_full_name(name, data.province_is_city) if fmt.lang == "vi" else name

    province = named(data.province)
    signed = fmt.date(data.signed_on) if data.signed_on else _("not signed yet")
    vision = _(", with orientation to %(year)s", year=data.vision_year) if data.vision_year else ""
    when = dict(
        title=data.title,
        signed=signed,
        start=fmt.date(data.period_start),
        end=fmt.date(data.period_end),
        vision=vision,
    )
    if _names_parties(data.title):
        opening = _(
            "The agreement “%(title)s” was signed on %(signed)s, for the period %(start)s – %(end)s%(vision)s.",
            **when,
        )
        if data.province_now:
            opening += " " + _capitalised(
                _(
                    "%(former)s is now %(current)s.",
                    former=province,
                    current=named(data.province_now),
                )
            )
    else:
        if data.province_now:
            province += f" ({_('now: %(unit)s', unit=named(data.province_now))})"
        opening = _(
            "The agreement “%(title)s” between the People's Committee of %(province)s and the %(partner)s was "
            "signed on %(signed)s, for the period %(start)s – %(end)s%(vision)s.",
            province=province,
            partner=data.partner,
            **when,
        )
    out.append(Para("body", opening))
    if data.province_signatory or data.partner_signatory:
        out.append(
            Para(
                "body",
                _(
                    "Signatories: %(a)s; %(b)s.",
                    a=data.province_signatory or "—",
                    b=data.partner_signatory or "—",
                ),
            )
        )
    if data.predecessor:
        out.append(Para("body", _("It renews the agreement “%(title)s”.", title=data.predecessor)))
    if data.description:
        out.append(Para("body", data.description))
    if data.legal_bases:
        out.append(Para("body", _("Legal bases:")))
        out += [Para("bullet", f"- {nfc(basis)};") for basis in data.legal_bases]
    out.append(
        Para(
            "body",
            _(
                "This report covers %(start)s – %(end)s and uses only figures verified by the Department.",
                start=fmt.date(data.date_from),
                end=fmt.date(data.date_to),
            ),
        )
    )
    return out


# -- II. results ----------------------------------------------------------------------------------


def as_of_sentence(data, fmt) -> str:
    """The day the figures are judged as of, as the pages say it."""
    return _("Figures as of %(date)s", date=fmt.date(data.as_of)) + "."


def results(data, fmt, names) -> list:
    out = [
        Para("heading1", _("II. RESULTS BY AREA")),
        Para("heading2", _("1. Summary")),
        Para("body_plain", as_of_sentence(data, fmt)),
        summary_grid(data, fmt, names),
    ]
    if data.areas:
        area_names = [charts.shorten(f"{a.code}. {a.title}", 34) for a in data.areas]
        percents = [a.summary["percent"] for a in data.areas]
        out.append(
            Chart(
                lambda width: charts.completion_by_area(area_names, percents, width),
                _("Chart 1. Completion by area (verified)"),
                keep=True,
            )
        )

    out.append(Para("heading2", _("2. Results of each area")))
    for area in data.areas:
        out.append(Para("heading3", f"{area.code}. {area.title}"))
        if not area.commitments:
            out.append(Para("body_plain", _("no data yet")))
            continue
        out.append(commitments_grid(area, fmt, names))

    chartable = key_indicators(data)
    if chartable:
        out.append(Para("heading2", _("3. Key indicators over time")))
        out.append(
            # the legend stays with the first chart
            Para(
                "body_plain",
                _("solid: verified values; dashed: path from baseline to target"),
                keep_with_next=True,
            )
        )
        for n, i in enumerate(chartable, start=2):
            out.append(
                Chart(
                    _indicator_drawing(i, data.period_start),
                    _("Chart %(n)d. %(name)s", n=n, name=i.name),
                    keep=True,
                )
            )
    return out


def _indicator_drawing(i, start):
    def draw(width):
        return charts.indicator_over_time(
            f"{i.commitment_code} · {i.name} ({i.unit})",
            i.series,
            i.baseline,
            i.target,
            start,
            i.end_on,
            width,
        )

    return draw


def key_indicators(data) -> list:
    """The indicators with verified values drawn over time: priority commitments' first, at most
    MAX_CHARTS."""
    priority = {c.code for a in data.areas for c in a.commitments if c.priority}
    return sorted(
        (i for a in data.areas for c in a.commitments for i in c.indicators if i.series),
        key=lambda i: i.commitment_code not in priority,
    )[:MAX_CHARTS]


def summary_grid(data, fmt, names) -> Grid:
    """Per area: commitments, the dashboard's health columns, completion, planned and spent."""
    header = [
        _("Area"),
        _("Commitments"),
        *(names["health"][h] for h in HEALTHS),
        _("Completion"),
        f"{_('Planned budget')} ({fmt.currency})",
        f"{_('Spent (verified)')} ({fmt.currency})",
    ]

    def cells(summary):
        return [
            fmt.number(summary["count"]),
            *(fmt.number(summary["health"][h]) for h in HEALTHS),
            f"{summary['percent']}%",
            fmt.amount(summary["planned_vnd"]),
            fmt.amount(summary["spent_vnd"]),
        ]

    rows = [[f"{area.code}. {area.title}", *cells(area.summary)] for area in data.areas]
    if not data.areas:
        rows.append([_("no data yet")] + [""] * 9)
    rows.append([Bold(_("Total")), *cells(data.total)])
    return Grid(
        "summary",
        header,
        rows,
        [0.22, *[0.07] * 6, 0.08, 0.14, 0.14],
        numeric_cols=tuple(range(1, 10)),
    )


def commitments_grid(area, fmt, names) -> Grid:
    """An area's commitments: code, title with units, budget, milestones and indicators, due
    date, status and completion."""
    header = [
        _("No."),
        _("Commitment, units, milestones and indicators"),
        _("Due date"),
        _("Status"),
        _("Completion"),
    ]
    rows = []
    for c in area.commitments:
        parts = []
        lead = c.lead_unit + (
            f" ({_('now: %(unit)s', unit=c.lead_unit_now)})" if c.lead_unit_now else ""
        )
        parts.append(_("Lead unit: %(unit)s", unit=lead))
        if c.support_units:
            parts.append(_("Supporting: %(units)s", units="; ".join(c.support_units)))
        if c.budget_vnd:
            parts.append(_("Planned budget: %(amount)s", amount=fmt.money(c.budget_vnd)))
        for m in c.milestones:
            state = (
                _("met on %(date)s", date=fmt.date(m.done_on))
                if m.done_on
                else names["milestone"][m.status]
            )
            parts.append(f"– {m.title} ({_('due %(date)s', date=fmt.date(m.due_on))}; {state})")
        for i in c.indicators:
            actual = (
                f"{fmt.number(i.actual)}/{fmt.number(i.target)} {i.unit} ({fmt.date(i.actual_on)})"
                if i.actual is not None
                else _("no data yet")
            )
            parts.append(f"• {i.name}: {actual}")
        health = (
            names["health"].get(c.health, "") if c.health else names["completion"][c.completion]
        )
        rows.append(
            [
                c.code,
                [Bold(c.title), *parts],
                fmt.date(c.due_on),
                [names["completion"][c.completion], health],
                f"{c.percent}%",
            ]
        )
    return Grid("commitments", header, rows, [0.07, 0.6, 0.11, 0.13, 0.09], numeric_cols=(4,))


# -- III. shortcomings ---------------------------------------------------------------------------


def shortcomings(data, options, fmt, names) -> list[Para]:
    out = [Para("heading1", _("III. SHORTCOMINGS AND CAUSES"))]
    late = [(a, c) for a in data.areas for c in a.commitments if c.health == Health.late.value]
    out.append(Para("heading2", _("1. Commitments behind schedule: %(n)d", n=len(late))))
    if late:
        for _area, c in late:
            open_m = [m for m in c.milestones if m.status == MilestoneStatus.not_met.value]
            detail = "; ".join(
                f"{m.title} ({_('due %(date)s', date=fmt.date(m.due_on))})" for m in open_m
            )
            out.append(
                Para(
                    "bullet", "- " + nfc(f"{c.code} {c.title}" + (f": {detail}" if detail else ""))
                )
            )
    else:
        out.append(Para("body_plain", _("None.")))
    unmet = [
        i
        for a in data.areas
        for c in a.commitments
        for i in c.indicators
        if i.end_on <= data.as_of and not i.reached
    ]
    out.append(Para("heading2", _("2. Indicators not reached: %(n)d", n=len(unmet))))
    if unmet:
        for i in unmet:
            actual = fmt.number(i.actual) if i.actual is not None else _("no data yet")
            out.append(
                Para(
                    "bullet",
                    "- "
                    + _(
                        "%(name)s: %(actual)s of %(target)s %(unit)s",
                        name=i.name,
                        actual=actual,
                        target=fmt.number(i.target),
                        unit=i.unit,
                    ),
                )
            )
    else:
        out.append(Para("body_plain", _("None.")))
    open_directives = [d for d in data.directives if d.done_on is None]
    out.append(
        Para("heading2", _("3. Directives not yet carried out: %(n)d", n=len(open_directives)))
    )
    if open_directives:
        for d in open_directives:
            due = f" ({_('due %(date)s', date=fmt.date(d.due_on))})" if d.due_on else ""
            out.append(Para("bullet", "- " + nfc(f"{d.text} — {d.assignee}{due}")))
    else:
        out.append(Para("body_plain", _("None.")))
    out.append(Para("heading2", _("4. Assessment and causes")))
    out += narrative(options.shortcomings)
    return out


def narrative(value: str) -> list[Para]:
    """The editors' text, one paragraph a line; a note when they wrote nothing."""
    paragraphs = [p.strip() for p in (value or "").split("\n") if p.strip()]
    if not paragraphs:
        return [Para("body_plain", _("(not written yet)"))]
    return [Para("body", p) for p in paragraphs]


def direction(options) -> list[Para]:
    return [
        Para("heading1", _("IV. DIRECTION AND RECOMMENDATIONS FOR THE NEXT PERIOD")),
        Para("heading2", _("1. Direction")),
        *narrative(options.direction),
        Para("heading2", _("2. Recommendations")),
        *narrative(options.recommendations),
    ]


def closing(options) -> Closing:
    return Closing(
        recipients_title=_("Recipients:"),
        recipients=[f"- {nfc(r)}" for r in options.recipients],
        authority=[caps(line) for line in options.signer_authority.splitlines() if line.strip()],
        signer_name=nfc(options.signer_name),
    )


# -- appendices --------------------------------------------------------------------------------------


def appendices(data, fmt, names) -> list[Appendix]:
    indicators = [
        [
            c.code,
            i.name,
            i.unit,
            fmt.number(i.baseline),
            fmt.number(i.target),
            fmt.number(i.actual) if i.actual is not None else _("no data yet"),
            fmt.date(i.actual_on),
            _("yes") if i.reached else _("no"),
        ]
        for a in data.areas
        for c in a.commitments
        for i in c.indicators
    ]
    directives = [
        [
            fmt.date(d.issued_on),
            d.issued_by,
            d.text,
            d.assignee,
            fmt.date(d.due_on),
            fmt.date(d.done_on) if d.done_on else _("not yet"),
        ]
        for d in data.directives
    ]
    evidence = [
        [
            str(n),
            f"{e.commitment_code} · {e.title}",
            fmt.date(e.issued_on),
            names["evidence"][e.kind],
            e.unit,
            signature_cell(e),
            e.sha256,
        ]
        for n, e in enumerate(data.evidence, start=1)
    ]
    return [
        Appendix(
            _("APPENDIX 1. INDICATORS: TARGET AND VERIFIED ACTUAL"),
            [
                _("No."),
                _("Indicator"),
                _("Unit"),
                _("Baseline"),
                _("Target"),
                _("Verified actual"),
                _("Date"),
                _("Reached"),
            ],
            indicators,
            [0.07, 0.35, 0.08, 0.1, 0.1, 0.12, 0.11, 0.07],
            size=9,
            numeric_cols=(3, 4, 5),
        ),
        Appendix(
            _("APPENDIX 2. FOLLOW-UP OF LEADERSHIP DIRECTIVES"),
            [
                _("Issued on"),
                _("Issued by"),
                _("Directive"),
                _("Assigned to"),
                _("Due date"),
                _("Done on"),
            ],
            directives,
            [0.12, 0.17, 0.35, 0.16, 0.1, 0.1],
            size=8.5,
        ),
        Appendix(
            _("APPENDIX 3. EVIDENCE REGISTER"),
            [
                _("No."),
                _("Evidence"),
                _("Date"),
                _("Evidence kind"),
                _("Unit"),
                _("Digital signature"),
                "SHA-256",
            ],
            evidence,
            [0.05, 0.22, 0.09, 0.11, 0.13, 0.15, 0.25],
            size=8,
            hash_col=6,
        ),
    ]


def signature_cell(row) -> str:
    """The register's signature column: the status, and who signed when there is a signature."""
    if not row.signature:
        return ""
    status = SignatureStatus(row.signature)
    label = status.text[:1].upper() + status.text[1:]
    return f"{label} ({row.signer})" if status.signed and row.signer else label


def appendix_rows(appendix: Appendix) -> list[list[str]]:
    """The rows, or one row saying "no data yet" in the widest column when there are none."""
    if appendix.rows:
        return appendix.rows
    empty = [""] * len(appendix.header)
    shares = appendix.shares
    empty[max(range(len(shares)), key=shares.__getitem__)] = _("no data yet")
    return [empty]
