"""Carrying out the plan of a workbook import through the agreement services, in the session's
transaction, so every rule of the commitment form holds for a row too. Each refusal of a service
is worded once, here, at the sheet, row and column of what it refuses."""

from contextlib import contextmanager

import sqlalchemy as sa

from tracker.agreements import services
from tracker.agreements.models import Agreement, Commitment, Completion
from tracker.errors import InvalidValue, NotAllowed, Refusal
from tracker.extensions import db
from tracker.i18n import _
from tracker.interop.changes import carry_out
from tracker.interop.excel.plan import Plan, plan_commitments
from tracker.interop.excel.read import CellError, WorkbookError, open_workbook
from tracker.interop.xlsx import SHEET_COMMITMENTS, SHEET_UNITS
from tracker.text import clean_text

#: The column of each field a service names in a refusal, where it differs.
_COLUMNS = {
    "lead_unit_id": "lead_unit",
    "support_unit_ids": "support_units",
    "area_id": "area_code",
}
#: Optional columns: when the sheet lacks one, the stored value stays.
_OPTIONAL = ("description", "budget_vnd", "funding_source", "due_on", "priority")


def import_commitments(agreement: Agreement, data: bytes, *, dry_run=False, user=None):
    """Create or update the areas and commitments of an agreement from the commitments sheet
    of a workbook (units missing from the system come from its units sheet), as `user` (None:
    the system, for the command line).

    Every row is checked first; if any is bad, WorkbookError lists them all (sheet, row,
    column) and nothing is written. Rows add or update; nothing is deleted. Returns an
    ImportSummary; a dry run is rolled back."""

    def plan_and_apply():
        with _refusals(agreement):
            # An import is an edit of the agreement, even when the workbook changes nothing.
            services.require_editable(agreement, user=user)
        wb = open_workbook(data)
        try:
            plan = plan_commitments(agreement, wb)
        except InvalidValue:
            raise
        except Exception:  # a read-only workbook parses its sheets while they are read
            raise WorkbookError(
                [_("The workbook could not be read; it may be damaged or not an .xlsx file.")]
            ) from None
        finally:
            wb.close()
        _apply(agreement, plan, user)
        return agreement

    return carry_out(plan_and_apply, dry_run=dry_run)


@contextmanager
def _refusals(agreement: Agreement, plan: Plan | None = None, row: int | None = None):
    """Word a service's refusal at a row of the commitments sheet (or for the workbook)."""
    try:
        yield
    except NotAllowed:
        raise WorkbookError(
            [_("You may not change the agreement %(code)s.", code=agreement.code)]
        ) from None
    except Refusal as exc:
        message = str(exc.message or type(exc).__name__)
        if plan is None or row is None:
            raise WorkbookError([message]) from None
        letter, header = plan.letters.get(_COLUMNS.get(exc.field, exc.field), ("?", "?"))
        raise WorkbookError([CellError(SHEET_COMMITMENTS, row, letter, header, message)]) from None


def _apply(agreement: Agreement, plan: Plan, user) -> None:
    """Write a checked plan: units, areas and commitments (added or updated, never deleted)."""
    units = dict(plan.units)
    for code, spec in plan.new_units.items():
        try:
            units[code] = services.add_unit(
                agreement, user=user, code=code, name=spec["name"], side=spec["side"]
            )
        except NotAllowed:
            raise WorkbookError(
                [_("You may not change the agreement %(code)s.", code=agreement.code)]
            ) from None
        except Refusal as exc:
            raise WorkbookError(
                [CellError(SHEET_UNITS, None, None, None, f"{code}: {exc.message}")]
            ) from None
    areas = {a.code: a for a in agreement.areas}
    for code, title in plan.area_titles.items():
        area = areas.get(code)
        if area is not None and clean_text(area.title, multiline=False) == title:
            continue  # the same title, as the sheet can hold it
        fields = {"code": code, "title": title}
        if area is not None:
            fields |= {"description": area.description, "position": area.position}
        else:
            fields["position"] = len(areas)
        with _refusals(agreement, plan, plan.area_rows[code]):
            areas[code] = services.save_area(area, agreement=agreement, user=user, **fields)
    existing = {
        c.code: c
        for c in db.session.scalars(
            sa.select(Commitment).where(Commitment.agreement_id == agreement.id)
        )
    }
    for row in plan.rows:
        v = row.values
        area = areas[v["area_code"]]
        commitment = existing.get(v["code"])
        if commitment is not None and commitment.area is area:
            position = commitment.position
        else:
            position = max((c.position for c in area.commitments), default=-1) + 1
        fields = {
            key: (v[key] if key in plan.columns else getattr(commitment, key, None))
            for key in _OPTIONAL
        }
        fields["priority"] = bool(fields["priority"])
        supports = (
            [units[code] for code in v["support_units"]]
            if "support_units" in plan.columns
            else list(commitment.support_units if commitment else [])
        )
        with _refusals(agreement, plan, row.number):
            existing[v["code"]] = services.save_commitment(
                commitment,
                agreement=agreement,
                user=user,
                area=area,
                lead_unit=units[v["lead_unit"]],
                support_units=sorted(supports, key=lambda u: u.code),
                code=v["code"],
                title=v["title"],
                committed_by=v["committed_by"],
                completion=commitment.completion if commitment else Completion.not_started,
                position=position,
                **fields,
            )
