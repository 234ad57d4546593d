"""Carrying out the plan of a `tracker.agreement/v1` import through the agreement services, in
the session's transaction, so every rule of the forms holds for a file too. Each refusal of a
service is worded once, here, at the JSON path of what it refuses."""

from contextlib import contextmanager

import sqlalchemy as sa

from tracker.agreements import services
from tracker.agreements.models import Agreement, Indicator, Milestone
from tracker.errors import NotAllowed, NotFound, Refusal, StaleVersion, WrongState
from tracker.extensions import db
from tracker.i18n import _, _l
from tracker.interop.changes import KIND_WORDS, ImportSummary, carry_out, label
from tracker.interop.json.plan import (
    Plan,
    Record,
    plan_import,
    stored_agreement,
    stored_area,
    stored_commitment,
    stored_directive,
    stored_history,
    stored_indicator,
    stored_measurement,
    stored_milestone,
    stored_status,
)
from tracker.interop.json.read import DocumentError, problem

#: The JSON key of each field a service names in a refusal, where it differs.
_KEYS = {
    "predecessor_id": "predecessor",
    "province_id": "province",
    "lead_unit_id": "lead_unit",
    "support_unit_ids": "support_units",
    "assignee_unit_id": "assignee",
    "measured_on": "on",
    "history": "status_history",
    "area_id": "code",
}
#: The fields that refer to another record, by the key of the file that names it.
_REFERENCES = {
    "predecessor_id": "predecessor",
    "lead_unit_id": "lead_unit",
    "support_unit_ids": "support_units",
    "assignee_unit_id": "assignee",
}


def _not_found(field: str, code: str) -> str:
    """A reference that does not resolve: the same words whether the record does not exist or
    is not one this agreement (or this user) may use, so no other province's code shows."""
    if field == "predecessor_id":
        return _("no agreement %(code)s was found", code=repr(code))
    return _("no unit %(code)s was found", code=repr(code))


#: The reason recorded in the history when an import changes a signed indicator's figures.
IMPORT_REASON = _l("Changed by importing a tracker.agreement/v1 file.")


def run_import(document, *, dry_run: bool = False, user=None) -> ImportSummary:
    """Import a parsed document and say what changed. Everything happens in the session's
    transaction: a refusal rolls it all back (nothing is half-imported), and so does a dry run.
    Otherwise the caller commits."""
    return carry_out(lambda: import_agreement(document, user=user), dry_run=dry_run)


def import_agreement(document, *, user=None) -> Agreement:
    """Create or update (by code) an agreement from a `tracker.agreement/v1` document.

    The document is checked against the JSON Schema (DocumentError lists every problem), then
    planned (`plan.plan_import`) and carried out through the agreement services as `user`
    (None: the system, for the command line and the demo loader). Importing the same file twice
    changes nothing. Raises DocumentError naming the first problem; the caller rolls back."""
    return _Import(plan_import(document), user).run()


class _Import:
    def __init__(self, plan: Plan, user):
        self.plan, self.user = plan, user
        self.units: dict = {}
        self.areas: dict = {}

    # -- wording the refusals ------------------------------------------------------------------

    @contextmanager
    def at(self, record: Record | None, *, path: str | None = None):
        """Word a service's refusal at the JSON path of the record (or `path`)."""
        try:
            yield
        except Refusal as exc:
            raise DocumentError([self._word(exc, record, path or record.path)]) from None

    @contextmanager
    def deleting(self, path: str, obj):
        """Word the refusal to delete a stored record the file no longer lists."""
        try:
            yield
        except NotAllowed:
            raise DocumentError([self._not_allowed()]) from None
        except WrongState:
            raise DocumentError(
                [
                    problem(
                        path,
                        _(
                            "%(kind)s %(label)s is not in the file, but progress reports or "
                            "evidence refer to it; an import cannot delete it (keep it in the "
                            "file, or delete it in the app)",
                            kind=KIND_WORDS.get(type(obj), _l("Record")),
                            label=repr(label(obj)),
                        ),
                    )
                ]
            ) from None
        except Refusal as exc:
            raise DocumentError([problem(path, exc.message or type(exc).__name__)]) from None

    def _not_allowed(self) -> str:
        if self.plan.agreement.obj is None:
            return _(
                "You may not create an agreement of the province %(province)s.",
                province=self.plan.province_code,
            )
        return _("You may not change the agreement %(code)s.", code=self.plan.code)

    def _word(self, exc: Refusal, record: Record | None, path: str) -> str:
        if isinstance(exc, NotAllowed):
            return self._not_allowed()
        if isinstance(exc, StaleVersion):
            return _("Someone else changed the agreement during the import; import it again.")
        index = exc.details.get("index")
        if isinstance(exc, NotFound) and record is not None and exc.field in _REFERENCES:
            key = _REFERENCES[exc.field]
            code = record.fields[key]
            at = f"{path}.{key}"
            if index is not None:
                code, at = code[index], f"{at}[{index}]"
            return problem(at, _not_found(exc.field, code))
        message = exc.message or type(exc).__name__
        if exc.field == "units" and index is not None:
            entry = list(self.plan.units.values())[index]
            return problem(f"{entry.path}.code", _not_found("units", entry.code))
        if exc.field:
            at = f"{path}.{_KEYS.get(exc.field, exc.field)}"
            if index is not None:
                at = f"{at}[{index}]" + (".on" if exc.field == "history" else "")
            return problem(at, message)
        if record is self.plan.agreement or isinstance(exc, WrongState):
            return str(message)  # about the whole agreement (a closed one, say)
        return problem(path, message)

    # -- carrying the plan out -----------------------------------------------------------------

    def run(self) -> Agreement:
        plan, user = self.plan, self.user
        if plan.agreement.obj is not None and user is not None:
            # An import from the app is an edit of the agreement, even if nothing changes.
            with self.at(plan.agreement):
                services.require_editable(plan.agreement.obj, user=user)
        agreement = self._agreement()
        for code, entry in plan.units.items():
            if entry.unit is None:
                with self.at(None, path=entry.path):
                    entry.unit = services.add_unit(
                        agreement,
                        user=user,
                        code=code,
                        name=entry.name,
                        side=entry.side,
                        national=entry.national,
                    )
            self.units[code] = entry.unit
        for record in plan.areas:
            area = record.obj
            if record.changed(stored_area):
                with self.at(record):
                    area = services.save_area(area, agreement=agreement, user=user, **record.fields)
            self.areas[record.fields["code"]] = area
        for record in plan.commitments:
            self._commitment(agreement, record)
        for record in plan.directives:
            fields = dict(record.fields)
            assignee = self.units[fields.pop("assignee")]
            if record.changed(stored_directive):
                with self.at(record):
                    services.save_directive(
                        record.obj, agreement=agreement, user=user, assignee=assignee, **fields
                    )
        for path, obj in plan.gone:
            with self.deleting(path, obj):
                services.delete_record(obj, agreement=agreement, user=user)
        if sorted(u.code for u in agreement.units) != sorted(plan.units):
            with self.at(plan.agreement):
                services.set_parties(agreement, user=user, units=list(self.units.values()))
        # Last: a file may close the agreement, after which nothing else could change.
        history = plan.history if plan.history is not None else stored_history(agreement)
        if stored_history(agreement) != history or stored_status(agreement) != plan.status:
            with self.at(plan.agreement):
                services.record_status_history(agreement, user=user, history=history, **plan.status)
        db.session.flush()
        return agreement

    def _agreement(self) -> Agreement:
        plan, user, record = self.plan, self.user, self.plan.agreement
        province = plan.province
        if province is None:
            try:
                province = services.add_province(
                    user=user, code=plan.province_code, name=plan.province_name
                )
            except NotAllowed:
                raise DocumentError(
                    [
                        _(
                            "The province of the file does not exist; only an administrator "
                            "can add it."
                        )
                    ]
                ) from None
        with self.at(record):
            fields = dict(record.fields, province=province)
            code = fields["predecessor"]
            if code:
                fields["predecessor"] = db.session.scalar(
                    sa.select(Agreement).where(Agreement.code == code)
                )
                if fields["predecessor"] is None:
                    raise NotFound(field="predecessor_id")
            if record.changed(stored_agreement):
                return services.save_agreement(record.obj, user=user, **fields)
        return record.obj

    def _commitment(self, agreement: Agreement, record: Record) -> None:
        user = self.user
        fields = dict(record.fields)
        area = self.areas[fields.pop("area")]
        lead = self.units[fields.pop("lead_unit")]
        supports = [self.units[code] for code in fields.pop("support_units")]
        commitment = record.obj
        if record.changed(stored_commitment):
            with self.at(record):
                commitment = services.save_commitment(
                    commitment,
                    agreement=agreement,
                    user=user,
                    area=area,
                    lead_unit=lead,
                    support_units=supports,
                    **fields,
                )
        for item in record.children["milestones"]:
            if item.changed(stored_milestone):
                with self.at(item):
                    services.save_milestone(
                        item.obj, commitment=commitment, user=user, **item.fields
                    )
        for item in record.children["indicators"]:
            indicator = item.obj
            if item.changed(stored_indicator):
                with self.at(item):
                    indicator = services.save_indicator(
                        indicator,
                        commitment=commitment,
                        user=user,
                        reason=str(IMPORT_REASON),
                        **item.fields,
                    )
            for value in item.children["measurements"]:
                if not value.changed(stored_measurement):
                    continue
                with self.at(value):
                    if value.obj is None:
                        services.add_measurement(indicator, user=user, **value.fields)
                    else:
                        fields = dict(value.fields)
                        del fields["measured_on"]
                        services.change_measurement(value.obj, user=user, **fields)
            for obj in item.gone:
                with self.deleting(f"{item.path}.measurements", obj):
                    services.delete_record(obj, agreement=agreement, user=user)
        for obj in record.gone:
            kind = "milestones" if isinstance(obj, Milestone) else "indicators"
            assert isinstance(obj, Milestone | Indicator)
            with self.deleting(f"{record.path}.{kind}", obj):
                services.delete_record(obj, agreement=agreement, user=user)
