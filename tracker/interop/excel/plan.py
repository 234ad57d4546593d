"""Planning the import of a workbook's commitments sheet: every row read and checked (all the
problems reported at once, by sheet, row and column), its unit codes resolved among the units the
agreement may use or the units sheet. Nothing is written here; `apply` carries the plan out
through the services."""

from dataclasses import dataclass

import sqlalchemy as sa

from tracker.agreements.models import Agreement, FundingSource
from tracker.agreements.queries import units_for_agreement
from tracker.extensions import db
from tracker.i18n import _
from tracker.interop.excel.read import (
    SEPARATORS,
    CellError,
    Row,
    SheetReader,
    WorkbookError,
    find_sheet,
    read_bool,
    read_choice,
    read_date,
    read_text,
    read_vnd,
)
from tracker.interop.xlsx import (
    COMMITMENT_COLUMNS,
    REQUIRED_COLUMNS,
    SHEET_COMMITMENTS,
    SHEET_UNITS,
    UNIT_COLUMNS,
    _labels,
)
from tracker.org.models import Side, Unit


@dataclass
class Plan:
    """The checked rows of a workbook and what they need."""

    rows: list[Row]
    #: The columns the sheet has: a missing optional column leaves the stored value.
    columns: set[str]
    #: Titles of the areas the rows name (new areas need one).
    area_titles: dict[str, str]
    #: The first row naming each area, where a refusal of the area is reported.
    area_rows: dict[str, int]
    #: Units of the units sheet the system does not know yet, by code.
    new_units: dict[str, dict]
    #: The units the agreement may use, by code.
    units: dict[str, Unit]
    #: (letter, header) of each column of the sheet, by key.
    letters: dict[str, tuple[str, str]]


def unit_not_found(code: str) -> str:
    """A unit code that resolves to nothing this agreement may use: the same words whether the
    unit does not exist or belongs to another province."""
    return _(
        "No unit %(code)s was found: it is neither among the units this agreement may use nor "
        "a new unit of the sheet “%(sheet)s”.",
        code=code,
        sheet=SHEET_UNITS,
    )


def plan_commitments(agreement: Agreement, wb) -> Plan:
    """Read and check every row; raise WorkbookError with all the problems."""
    errors: list[CellError] = []
    sides, funding = _labels(Side), _labels(FundingSource)

    ws = find_sheet(wb, SHEET_COMMITMENTS)
    if ws is None:
        raise WorkbookError(
            [CellError(SHEET_COMMITMENTS, None, None, None, _("The sheet is missing."))]
        )
    sheet = SheetReader(ws, COMMITMENT_COLUMNS, errors)
    missing = [
        c.header for c in COMMITMENT_COLUMNS if c.key in REQUIRED_COLUMNS and not sheet.has(c.key)
    ]
    if missing:
        sheet.sheet_error(_("Missing columns: %(columns)s.", columns=", ".join(missing)))
        raise WorkbookError(errors)

    # The units sheet is optional: codes may also name units already in the system.
    sheet_units: dict[str, dict] = {}
    units_ws = find_sheet(wb, SHEET_UNITS)
    if units_ws is not None:
        units = SheetReader(units_ws, UNIT_COLUMNS, errors)
        for number, row in units.rows:
            code = units.read(number, row, "code", read_text, required=True, max_len=40)
            name = units.read(number, row, "name", read_text, required=True, max_len=300)
            side = units.read(
                number, row, "side", read_choice, required=True, enum_cls=Side, labels=sides
            )
            if code is None:
                continue
            if code in sheet_units:
                first = sheet_units[code]["row"]
                units.error(
                    number,
                    "code",
                    _(
                        "The code %(code)s is repeated (first on row %(row)d).",
                        code=code,
                        row=first,
                    ),
                )
                continue
            sheet_units[code] = {"row": number, "name": name, "side": side}

    # Codes resolve among the units this agreement may use, and the units sheet adds those the
    # system does not know: any other code is not found, whether or not it exists elsewhere.
    allowed = {u.code: u for u in units_for_agreement(agreement)}
    in_system: dict[str, bool] = {}
    referenced: set[str] = set()

    def resolve(number: int, key: str, code: str):
        if code in allowed:
            return code
        if code not in in_system:
            in_system[code] = (
                db.session.scalar(sa.select(Unit.id).where(Unit.code == code)) is not None
            )
        if code in sheet_units and not in_system[code]:
            referenced.add(code)  # its own problems, if any, are reported on the units sheet
            return code
        sheet.error(number, key, unit_not_found(code))
        return None

    existing_areas = {a.code: a for a in agreement.areas}
    area_titles: dict[str, tuple[str, int]] = {}
    seen_codes: dict[str, int] = {}
    rows: list[Row] = []
    for number, row in sheet.rows:
        read = sheet.read
        values = {
            "area_code": read(number, row, "area_code", read_text, required=True, max_len=20),
            "area_title": read(number, row, "area_title", read_text, max_len=500),
            "code": read(number, row, "code", read_text, required=True, max_len=20),
            "title": read(number, row, "title", read_text, required=True, max_len=500),
            "description": read(
                number, row, "description", read_text, max_len=20000, multiline=True
            ),
            "committed_by": read(
                number,
                row,
                "committed_by",
                read_choice,
                required=True,
                enum_cls=Side,
                labels=sides,
            ),
            "lead_unit": read(number, row, "lead_unit", read_text, required=True, max_len=40),
            "support_units": read(number, row, "support_units", read_text),
            "budget_vnd": read(number, row, "budget_vnd", read_vnd),
            "funding_source": read(
                number,
                row,
                "funding_source",
                read_choice,
                enum_cls=FundingSource,
                labels=funding,
            ),
            "due_on": read(number, row, "due_on", read_date),
            "priority": read(number, row, "priority", read_bool),
        }
        code, area_code = values["code"], values["area_code"]
        if code is not None:
            if code in seen_codes:
                sheet.error(
                    number,
                    "code",
                    _(
                        "The code %(code)s is repeated (first on row %(row)d).",
                        code=code,
                        row=seen_codes[code],
                    ),
                )
            else:
                seen_codes[code] = number
        if area_code is not None:
            title = values["area_title"]
            if title is not None:
                if area_code in area_titles and area_titles[area_code][0] != title:
                    sheet.error(
                        number,
                        "area_title",
                        _(
                            "Area %(code)s has another title on row %(row)d.",
                            code=area_code,
                            row=area_titles[area_code][1],
                        ),
                    )
                else:
                    area_titles.setdefault(area_code, (title, number))
        if values["lead_unit"] is not None:
            values["lead_unit"] = resolve(number, "lead_unit", values["lead_unit"])
        supports = []
        for ref in SEPARATORS.split(values["support_units"] or ""):
            ref = ref.strip()
            if ref and resolve(number, "support_units", ref) is not None:
                supports.append(ref)
        values["support_units"] = supports
        rows.append(Row(number, values))
    for item in rows:
        area_code = item.values["area_code"]
        if area_code and area_code not in existing_areas and area_code not in area_titles:
            sheet.error(
                item.number,
                "area_title",
                _("Area %(code)s is new: give its title.", code=area_code),
            )
            area_titles[area_code] = ("", item.number)  # report once per area
    if not rows and not errors:
        sheet.sheet_error(_("No commitments to import."))
    if errors:
        raise WorkbookError(errors)
    return Plan(
        rows=rows,
        columns=set(sheet.positions),
        area_titles={code: title for code, (title, _row) in area_titles.items() if title},
        area_rows={code: number for code, (_title, number) in area_titles.items()},
        new_units={code: sheet_units[code] for code in sorted(referenced)},
        units=allowed,
        letters={key: sheet.column_of(key) for key in sheet.positions},
    )
