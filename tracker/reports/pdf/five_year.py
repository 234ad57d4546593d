"""The review document (five-year, annual or interim) in the format of Vietnamese administrative
documents. Takes plain data (tracker.reports.data.ReviewData) and options, returns PDF bytes."""

import io
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape

from babel.dates import format_date
from babel.numbers import format_decimal
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from tracker.agreements.models import Completion, MilestoneStatus
from tracker.i18n import _
from tracker.org.models import province_full_name
from tracker.progress.figures import HEALTHS
from tracker.progress.health import Health
from tracker.progress.models import EvidenceKind
from tracker.reports.pdf import charts
from tracker.reports.pdf import styles as st
from tracker.reports.pdf.fonts import SERIF, SERIF_BOLD
from tracker.reports.pdf.header import HeaderBlock, Rule
from tracker.reports.pdf.ledger import PAD_X, Cell, Ledger
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


@dataclass
class Marks:
    """What a rendering says about itself: a draft is marked on every page; a signed review
    cites the one it replaces. `slots` receives, while the document is drawn, where the
    signatures go: name → (page index, (x1, y1, x2, y2) in PDF points)."""

    draft: bool = True
    supersedes: str = ""
    slots: dict = field(default_factory=dict)


class SignatureSpace(Flowable):
    """Empty space that records where it was drawn (`Marks.slots[name]`): the signature block's
    space between the title lines and the name, the stamp line of the first appendix."""

    def __init__(self, name: str, height: float, slots: dict):
        super().__init__()
        self.name, self.space_height, self.slots = name, height, slots

    def wrap(self, avail_width, avail_height):
        self.width = avail_width
        return avail_width, self.space_height

    def draw(self):
        x, y = self.canv.absolutePosition(0, 0)
        self.slots[self.name] = (
            self.canv.getPageNumber() - 1,
            (x, y, x + self.width, y + self.space_height),
        )


#: Height of the space the signature block leaves for the signature image (and the seal).
SIGNATURE_SPACE = 28 * mm
#: Height of the line the first appendix leaves for the organisation's stamp.
STAMP_SPACE = 16


def text(value) -> str:
    """Plain text made safe for Paragraph markup: NFC, & < > escaped, line breaks kept."""
    value = unicodedata.normalize("NFC", str(value or ""))
    return escape(value).replace("\n", "<br/>")


class _Formats:
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


def _caps(value: str) -> str:
    return unicodedata.normalize("NFC", value).upper()


def _starts_within(flowable, width, height) -> bool:
    """Whether `flowable` can put something on the page in `height`: all of it, or the first
    part of a split (a table's header and first row, a paragraph's first lines)."""
    if flowable.wrap(width, height)[1] <= height:
        return True
    return not isinstance(flowable, KeepTogether) and bool(flowable.split(width, height))


class _KeepWithNext(KeepTogether):
    """Headings (styles with keepWithNext) and what follows them. reportlab's KeepTogether moves
    the group to the next page whenever the whole group doesn't fit; this one moves it only when
    what follows the headings cannot start below them, so a heading is never left alone at the
    bottom of a page and a long table still starts right under its heading."""

    def split(self, aW, aH):
        *heads, last = self._content
        used = sum(f.wrap(aW, aH)[1] + f.getSpaceBefore() + f.getSpaceAfter() for f in heads)
        room = aH - used - last.getSpaceBefore()
        if room > 0 and _starts_within(last, aW, room):
            return list(self._content)
        return super().split(aW, aH)


class _Doc(BaseDocTemplate):
    """A4 with the decree's margins; page numbers centred in the top margin from page 2."""

    def __init__(self, buffer, title: str, draft: bool = False):
        self.draft = draft
        super().__init__(
            buffer,
            pagesize=st.PAGE,
            leftMargin=st.LEFT,
            rightMargin=st.RIGHT,
            topMargin=st.TOP,
            bottomMargin=st.BOTTOM,
            title=title,
            author="",
            subject="",
            creator="Cooperation Agreement Tracker",
            producer="reportlab",
            keepTogetherClass=_KeepWithNext,
        )
        frame = Frame(
            st.LEFT,
            st.BOTTOM,
            st.FRAME_WIDTH,
            st.PAGE[1] - st.TOP - st.BOTTOM,
            id="body",
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )
        self.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=self._number)])

    @staticmethod
    def _number(canvas, doc):
        if doc.draft:
            _draft_mark(canvas)
        if doc.page > 1:
            canvas.saveState()
            canvas.setFont(SERIF, st.page_number_size)
            canvas.drawCentredString(
                st.LEFT + st.FRAME_WIDTH / 2, st.PAGE[1] - 12 * mm, str(doc.page)
            )
            canvas.restoreState()


def _draft_mark(canvas) -> None:
    """The boxed "DỰ THẢO" at the top right of the page: a review never signed is a draft."""
    label = _("DRAFT")
    size = 12
    width = canvas.stringWidth(label, SERIF_BOLD, size) + 10
    right = st.PAGE[0] - st.RIGHT
    top = st.PAGE[1] - 8 * mm
    canvas.saveState()
    canvas.setLineWidth(0.8)
    canvas.rect(right - width, top - size - 6, width, size + 6)
    canvas.setFont(SERIF_BOLD, size)
    canvas.drawCentredString(right - width / 2, top - size - 1.5, label)
    canvas.restoreState()


#: Rows per Table object: reportlab re-measures the rest of a table each time it splits one across
#: pages, so one table of thousands of rows costs quadratic time; chunks keep it linear.
CHUNK_ROWS = 40


def _table(
    rows, widths, *, header_rows=1, numeric_cols=(), zebra=False, font_size=9
) -> list[Table]:
    """The rows as consecutive tables of CHUNK_ROWS rows, each repeating the header rows."""
    head, body = rows[:header_rows], rows[header_rows:]
    return [
        _one_table(
            head + body[i : i + CHUNK_ROWS],
            widths,
            header_rows=header_rows,
            numeric_cols=numeric_cols,
            font_size=font_size,
        )
        for i in range(0, max(len(body), 1), CHUNK_ROWS)
    ]


def _one_table(rows, widths, *, header_rows=1, numeric_cols=(), font_size=9) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=header_rows, hAlign="LEFT")
    style = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, header_rows - 1), colors.HexColor("#e8ecf1")),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("FONTNAME", (0, 0), (-1, -1), SERIF),
        ("FONTSIZE", (0, 0), (-1, -1), font_size),
        ("LEADING", (0, 0), (-1, -1), font_size * 1.2),
    ]
    for col in numeric_cols:
        style.append(("ALIGN", (col, header_rows), (col, -1), "RIGHT"))
    table.setStyle(TableStyle(style))
    return table


def _labels():
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


def build_review(data, options: ReviewOptions, marks: Marks | None = None) -> tuple[bytes, int]:
    """The review as PDF bytes and its page count. Call inside `flask_babel.force_locale(lang)`.
    The options are not changed: what the editors left empty stays empty in the saved options.
    `marks`: a draft (the default) or the signed rendering, and where the signatures go."""
    marks = marks if marks is not None else Marks()
    options = defaults(data, replace(options))
    fmt = _Formats(options.lang)
    labels = _labels()
    issued_on = options.issued_on or data.date_to
    story = []
    story += _header(data, options, fmt, issued_on)
    story += _title(data, options, fmt)
    story += _supersedes(marks)
    story += _section_background(data, fmt)
    story += _section_results(data, fmt, labels)
    story += _section_shortcomings(data, options, fmt, labels)
    story += _section_direction(options)
    story += _closing(options, marks.slots)
    story += _appendices(data, fmt, labels, marks.slots)

    buffer = io.BytesIO()
    doc = _Doc(buffer, title=data.title, draft=marks.draft)
    doc.build(story)
    return buffer.getvalue(), doc.page


# -- header and title -------------------------------------------------------------------------


def _header(data, options, fmt, issued_on):
    vi = options.lang == "vi"
    return [
        HeaderBlock(
            parent=_caps(options.issuer_parent),
            issuer=_caps(options.issuer),
            number=f"{'Số' if vi else 'No.'}: {options.number}",
            country="CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
            if vi
            else "SOCIALIST REPUBLIC OF VIET NAM",
            motto="Độc lập - Tự do - Hạnh phúc" if vi else "Independence - Freedom - Happiness",
            place_date=unicodedata.normalize("NFC", fmt.place_date(options.place, issued_on)),
        )
    ]


def _title(data, options, fmt):
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
    return [
        Paragraph(_("REPORT"), st.doc_type),
        Paragraph(text(subject), st.subject),
        Rule(st.FRAME_WIDTH * 0.25, gap=6, after=10),
    ]


def _names_parties(title: str) -> bool:
    """Whether an agreement's title already says between whom it was made ("… giữa UBND tỉnh
    Quảng Bình và Tập đoàn …"): the opening sentence then doesn't say it a second time."""
    return bool(re.search(r"\b(giữa|between)\b", title, re.IGNORECASE))


def _capitalised(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


# -- I. background --------------------------------------------------------------------------------


def _section_background(data, fmt):
    out = [Paragraph(_("I. BACKGROUND AND LEGAL BASES"), st.heading1)]

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
    out.append(Paragraph(text(opening), st.body))
    if data.province_signatory or data.partner_signatory:
        out.append(
            Paragraph(
                text(
                    _(
                        "Signatories: %(a)s; %(b)s.",
                        a=data.province_signatory or "—",
                        b=data.partner_signatory or "—",
                    )
                ),
                st.body,
            )
        )
    if data.predecessor:
        out.append(
            Paragraph(
                text(_("It renews the agreement “%(title)s”.", title=data.predecessor)), st.body
            )
        )
    if data.description:
        out.append(Paragraph(text(data.description), st.body))
    if data.legal_bases:
        out.append(Paragraph(text(_("Legal bases:")), st.body))
        out += [Paragraph("- " + text(basis) + ";", st.bullet) for basis in data.legal_bases]
    out.append(
        Paragraph(
            text(
                _(
                    "This report covers %(start)s – %(end)s and uses only figures verified by the Department.",
                    start=fmt.date(data.date_from),
                    end=fmt.date(data.date_to),
                )
            ),
            st.body,
        )
    )
    return out


# -- II. results ----------------------------------------------------------------------------------


def _as_of_sentence(data, fmt) -> str:
    """The day the figures are judged as of, as the pages say it."""
    return _("Figures as of %(date)s", date=fmt.date(data.as_of)) + "."


def _section_results(data, fmt, labels):
    out = [
        Paragraph(_("II. RESULTS BY AREA"), st.heading1),
        Paragraph(_("1. Summary"), st.heading2),
        Paragraph(text(_as_of_sentence(data, fmt)), st.body_plain),
    ]
    head = [
        Paragraph(text(h), st.table_head)
        for h in (
            _("Area"),
            _("Commitments"),
            *(labels["health"][h] for h in HEALTHS),
            _("Completion"),
            f"{_('Planned budget')} ({fmt.currency})",
            f"{_('Spent (verified)')} ({fmt.currency})",
        )
    ]

    def cells(summary):
        return [
            fmt.number(summary["count"]),
            *(fmt.number(summary["health"][h]) for h in HEALTHS),
            f"{summary['percent']}%",
            fmt.amount(summary["planned_vnd"]),
            fmt.amount(summary["spent_vnd"]),
        ]

    rows = [head]
    for area in data.areas:
        rows.append(
            [Paragraph(text(f"{area.code}. {area.title}"), st.table_cell), *cells(area.summary)]
        )
    if not data.areas:
        rows.append([Paragraph(text(_("no data yet")), st.table_cell)] + [""] * 9)
    rows.append([Paragraph(f"<b>{text(_('Total'))}</b>", st.table_cell), *cells(data.total)])
    w = st.FRAME_WIDTH
    out += _table(
        rows,
        [w * 0.22, *[w * 0.07] * 6, w * 0.08, w * 0.14, w * 0.14],
        numeric_cols=tuple(range(1, 10)),
    )
    out.append(Spacer(1, 6))
    if data.areas:
        out.append(
            KeepTogether(
                [
                    charts.completion_by_area(
                        [charts.shorten(f"{a.code}. {a.title}", 34) for a in data.areas],
                        [a.summary["percent"] for a in data.areas],
                        w,
                    ),
                    Paragraph(text(_("Chart 1. Completion by area (verified)")), st.caption),
                ]
            )
        )

    out.append(Paragraph(_("2. Results of each area"), st.heading2))
    for area in data.areas:
        out.append(Paragraph(text(f"{area.code}. {area.title}"), st.heading3))
        if not area.commitments:
            out.append(Paragraph(text(_("no data yet")), st.body_plain))
            continue
        rows = [
            [
                Paragraph(text(h), st.table_head)
                for h in (
                    _("No."),
                    _("Commitment, units, milestones and indicators"),
                    _("Due date"),
                    _("Status"),
                    _("Completion"),
                )
            ]
        ]
        detail_width = w * 0.6 - 6
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
                    else labels["milestone"][m.status]
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
                labels["health"].get(c.health, "")
                if c.health
                else labels["completion"][c.completion]
            )
            # The title as a paragraph (bold, wrapped); the details as pre-wrapped plain lines,
            # several times cheaper to lay out than markup when an agreement has hundreds.
            rows.append(
                [
                    c.code,
                    [
                        Paragraph(f"<b>{text(c.title)}</b>", st.table_cell),
                        Lines(parts, detail_width),
                    ],
                    fmt.date(c.due_on),
                    Lines([labels["completion"][c.completion], health], w * 0.13 - 6),
                    f"{c.percent}%",
                ]
            )
        out += _table(rows, [w * 0.07, w * 0.6, w * 0.11, w * 0.13, w * 0.09], numeric_cols=(4,))
        out.append(Spacer(1, 4))

    chartable = sorted(
        (i for a in data.areas for c in a.commitments for i in c.indicators if i.series),
        key=lambda i: (
            not any(
                c.priority for a in data.areas for c in a.commitments if c.code == i.commitment_code
            ),
        ),
    )[:MAX_CHARTS]
    if chartable:
        out.append(Paragraph(_("3. Key indicators over time"), st.heading2))
        legend = Paragraph(
            text(_("solid: verified values; dashed: path from baseline to target")), st.body_plain
        )
        legend.keepWithNext = 1  # the legend stays with the first chart
        out.append(legend)
        for n, i in enumerate(chartable, start=2):
            drawing = charts.indicator_over_time(
                f"{i.commitment_code} · {i.name} ({i.unit})",
                i.series,
                i.baseline,
                i.target,
                data.period_start,
                i.end_on,
                w,
            )
            out.append(
                KeepTogether(
                    [
                        drawing,
                        Paragraph(text(_("Chart %(n)d. %(name)s", n=n, name=i.name)), st.caption),
                    ]
                )
            )
    return out


class Lines(Flowable):
    """Plain text lines wrapped once with simpleSplit: no markup to parse, fast to lay out."""

    def __init__(self, parts, width, size=9.5, leading=11.5):
        super().__init__()
        self.size, self.leading = size, leading
        self.lines = []
        for part in parts:
            self.lines += simpleSplit(
                unicodedata.normalize("NFC", str(part)), SERIF, size, width
            ) or [""]
        self.width = width

    def wrap(self, avail_width, avail_height):
        return self.width, len(self.lines) * self.leading + 2

    def draw(self):
        self.canv.setFont(SERIF, self.size)
        y = len(self.lines) * self.leading - self.size + 2
        for line in self.lines:
            self.canv.drawString(0, y, line)
            y -= self.leading


# -- III. shortcomings ---------------------------------------------------------------------------


def _section_shortcomings(data, options, fmt, labels):
    out = [Paragraph(_("III. SHORTCOMINGS AND CAUSES"), st.heading1)]
    late = [(a, c) for a in data.areas for c in a.commitments if c.health == Health.late.value]
    out.append(
        Paragraph(text(_("1. Commitments behind schedule: %(n)d", n=len(late))), st.heading2)
    )
    if late:
        for _area, c in late:
            open_m = [m for m in c.milestones if m.status == MilestoneStatus.not_met.value]
            detail = "; ".join(
                f"{m.title} ({_('due %(date)s', date=fmt.date(m.due_on))})" for m in open_m
            )
            out.append(
                Paragraph(
                    "- " + text(f"{c.code} {c.title}" + (f": {detail}" if detail else "")),
                    st.bullet,
                )
            )
    else:
        out.append(Paragraph(text(_("None.")), st.body_plain))
    unmet = [
        i
        for a in data.areas
        for c in a.commitments
        for i in c.indicators
        if i.end_on <= data.as_of and not i.reached
    ]
    out.append(Paragraph(text(_("2. Indicators not reached: %(n)d", n=len(unmet))), st.heading2))
    if unmet:
        for i in unmet:
            actual = fmt.number(i.actual) if i.actual is not None else _("no data yet")
            out.append(
                Paragraph(
                    "- "
                    + text(
                        _(
                            "%(name)s: %(actual)s of %(target)s %(unit)s",
                            name=i.name,
                            actual=actual,
                            target=fmt.number(i.target),
                            unit=i.unit,
                        )
                    ),
                    st.bullet,
                )
            )
    else:
        out.append(Paragraph(text(_("None.")), st.body_plain))
    open_directives = [d for d in data.directives if d.done_on is None]
    out.append(
        Paragraph(
            text(_("3. Directives not yet carried out: %(n)d", n=len(open_directives))), st.heading2
        )
    )
    if open_directives:
        for d in open_directives:
            due = f" ({_('due %(date)s', date=fmt.date(d.due_on))})" if d.due_on else ""
            out.append(Paragraph("- " + text(f"{d.text} — {d.assignee}{due}"), st.bullet))
    else:
        out.append(Paragraph(text(_("None.")), st.body_plain))
    out.append(Paragraph(text(_("4. Assessment and causes")), st.heading2))
    out += _narrative(options.shortcomings)
    return out


def _narrative(value: str):
    paragraphs = [p.strip() for p in (value or "").split("\n") if p.strip()]
    if not paragraphs:
        return [Paragraph(text(_("(not written yet)")), st.body_plain)]
    return [Paragraph(text(p), st.body) for p in paragraphs]


def _section_direction(options):
    return [
        Paragraph(_("IV. DIRECTION AND RECOMMENDATIONS FOR THE NEXT PERIOD"), st.heading1),
        Paragraph(text(_("1. Direction")), st.heading2),
        *_narrative(options.direction),
        Paragraph(text(_("2. Recommendations")), st.heading2),
        *_narrative(options.recommendations),
    ]


def _supersedes(marks) -> list:
    """The sentence by which a new version cites the signed review it replaces."""
    if not marks.supersedes:
        return []
    return [Paragraph(text(marks.supersedes), st.body)]


def _closing(options, slots):
    recipients = [Paragraph(text(_("Recipients:")), st.recipients_title)]
    recipients += [Paragraph("- " + text(r), st.recipients) for r in options.recipients]
    signature = [
        Paragraph(text(_caps(line)), st.signature_authority)
        for line in options.signer_authority.splitlines()
        if line.strip()
    ]
    signature += [
        SignatureSpace("signature", SIGNATURE_SPACE, slots),
        Paragraph(text(options.signer_name), st.signature_name),
    ]
    table = Table([[recipients, signature]], colWidths=[st.FRAME_WIDTH * 0.5, st.FRAME_WIDTH * 0.5])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return [Spacer(1, 10), KeepTogether(table)]


# -- appendices --------------------------------------------------------------------------------------


def _appendices(data, fmt, labels, slots):
    w = st.FRAME_WIDTH
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
    hash_width = w * 0.25
    hash_size = min(7.5, (hash_width - 2 * PAD_X) / 16)  # 32 hex digits of at most 0.5 em
    evidence = [
        [
            str(n),
            f"{e.commitment_code} · {e.title}",
            fmt.date(e.issued_on),
            labels["evidence"][e.kind],
            e.unit,
            _signature_cell(e),
            Cell((e.sha256[:32], e.sha256[32:]), hash_size),
        ]
        for n, e in enumerate(data.evidence, start=1)
    ]
    first = _appendix(
        _("APPENDIX 1. INDICATORS: TARGET AND VERIFIED ACTUAL"),
        (
            _("No."),
            _("Indicator"),
            _("Unit"),
            _("Baseline"),
            _("Target"),
            _("Verified actual"),
            _("Date"),
            _("Reached"),
        ),
        indicators,
        [w * 0.07, w * 0.35, w * 0.08, w * 0.1, w * 0.1, w * 0.12, w * 0.11, w * 0.07],
        size=9,
        numeric_cols=(3, 4, 5),
    )
    # The organisation's signature on the appendices: top right of the first one's first page.
    first.insert(1, SignatureSpace("appendix", STAMP_SPACE, slots))
    return [
        *first,
        *_appendix(
            _("APPENDIX 2. FOLLOW-UP OF LEADERSHIP DIRECTIVES"),
            (
                _("Issued on"),
                _("Issued by"),
                _("Directive"),
                _("Assigned to"),
                _("Due date"),
                _("Done on"),
            ),
            directives,
            [w * 0.12, w * 0.17, w * 0.35, w * 0.16, w * 0.1, w * 0.1],
            size=8.5,
        ),
        *_appendix(
            _("APPENDIX 3. EVIDENCE REGISTER"),
            (
                _("No."),
                _("Evidence"),
                _("Date"),
                _("Evidence kind"),
                _("Unit"),
                _("Digital signature"),
                "SHA-256",
            ),
            evidence,
            [w * 0.05, w * 0.22, w * 0.09, w * 0.11, w * 0.13, w * 0.15, hash_width],
            size=8,
        ),
    ]


def _signature_cell(row) -> str:
    """The register's signature column: the status, and who signed when there is a signature."""
    if not row.signature:
        return ""
    status = SignatureStatus(row.signature)
    label = status.text[:1].upper() + status.text[1:]
    return f"{label} ({row.signer})" if status.signed and row.signer else label


def _appendix(title, header, rows, widths, **options) -> list:
    """A titled appendix on a new page; "no data yet" in the widest column when empty."""
    if not rows:
        empty = [""] * len(header)
        empty[max(range(len(widths)), key=widths.__getitem__)] = _("no data yet")
        rows = [empty]
    return [
        PageBreak(),
        Paragraph(text(title), st.subject),
        Spacer(1, 8),
        Ledger(header, rows, widths, **options),
    ]


__all__ = ["Marks", "ReviewOptions", "SERIF_BOLD", "build_review", "defaults", "text"]
