"""The OpenAPI 3.1 description of the JSON API (served at /api/v1/openapi.json).

The request body schemas below are also what the API validates requests against, so the
document and the behaviour cannot drift apart."""

import copy

from tracker.agreements.models import (
    AgreementStatus,
    Completion,
    Direction,
    FundingSource,
    MilestoneStatus,
    PeriodKind,
)
from tracker.interop.json import schema
from tracker.org.models import Side
from tracker.progress.figures import HEALTHS
from tracker.progress.models import EvidenceKind, ReportAction, ReportStatus

#: Largest id accepted in a path (ids are 32-bit integers in the database).
MAX_ID = 2_147_483_647
#: Largest page number (far beyond any real list, small enough for any database's OFFSET).
MAX_PAGE = 100_000
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 25
MAX_VND = 999_999_999_999_999_999


def _values(enum_cls) -> list[str]:
    return [m.value for m in enum_cls]


def _nullable(schema: dict) -> dict:
    schema = dict(schema)
    if "enum" in schema:
        schema["enum"] = [*schema["enum"], None]
    else:
        schema["type"] = [schema["type"], "null"]
    return schema


DATE = {"type": "string", "format": "date"}
DATETIME = {"type": "string", "format": "date-time"}
ID = {"type": "integer", "minimum": 1}

REPORT_INPUT = {
    "type": "object",
    "description": "A draft progress report. It replaces the draft's figures, indicator values "
    "and milestones as a whole (what is left out is removed from the draft).",
    "required": ["percent_complete", "completion"],
    "properties": {
        "percent_complete": {"type": "integer", "minimum": 0, "maximum": 100},
        "completion": {"enum": _values(Completion)},
        "spent_vnd": {
            "type": ["integer", "null"],
            "minimum": 0,
            "maximum": MAX_VND,
            "description": "Money spent during the period, in whole VND.",
        },
        "narrative": {"type": ["string", "null"], "maxLength": 20000},
        "values": {
            "type": "object",
            "description": "Indicator id → value reported for the period (null: no value).",
            "propertyNames": {"pattern": "^[1-9][0-9]{0,9}$"},
            "additionalProperties": {
                "type": ["number", "null"],
                "exclusiveMinimum": -1e15,
                "exclusiveMaximum": 1e15,
            },
        },
        "milestones": {
            "type": "object",
            "description": "Milestone id → the milestone met (or partly met) and the date.",
            "propertyNames": {"pattern": "^[1-9][0-9]{0,9}$"},
            "additionalProperties": {
                "type": "object",
                "required": ["status", "done_on"],
                "properties": {
                    "status": {
                        "enum": [MilestoneStatus.met.value, MilestoneStatus.partially_met.value]
                    },
                    "done_on": DATE,
                },
                "additionalProperties": False,
            },
        },
        "version": {
            "type": "integer",
            "minimum": 1,
            "description": "The report's version as last read; a newer stored version answers "
            "409 stale.",
        },
    },
    "additionalProperties": False,
}

SUBMIT_INPUT = {
    "type": "object",
    "properties": {"version": REPORT_INPUT["properties"]["version"]},
    "additionalProperties": False,
}

EXTERNAL_SIGNING_INPUT = {
    "type": "object",
    "required": ["certificate"],
    "properties": {
        "certificate": {
            "type": "string",
            "minLength": 1,
            "maxLength": 20000,
            "description": "The signer's certificate in PEM (“-----BEGIN CERTIFICATE-----”), "
            "as the USB token or the remote signing service gives it.",
        }
    },
    "additionalProperties": False,
}

EXTERNAL_SIGNATURE_INPUT = {
    "type": "object",
    "required": ["cms"],
    "properties": {
        "cms": {
            "type": "string",
            "minLength": 1,
            "maxLength": 40000,
            "description": "The CMS SignedData (DER, base64) the signer made over `digest`: "
            "signed attributes with the message digest, the signer's certificate included.",
        }
    },
    "additionalProperties": False,
}

EVIDENCE_INPUT = {
    "type": "object",
    "required": ["file", "title"],
    "properties": {
        "file": {
            "type": "string",
            "format": "binary",
            "description": "PDF, image, Office document or ZIP archive of those; the type is "
            "decided from the content.",
        },
        "title": {"type": "string", "minLength": 1, "maxLength": 300, "pattern": "\\S"},
        "kind": {"enum": _values(EvidenceKind), "default": "other"},
        "issued_on": DATE,
    },
}

_UNIT = {
    "type": "object",
    "required": ["code", "name"],
    "properties": {"code": {"type": "string"}, "name": {"type": "string"}},
}

_COUNT = {"type": "integer", "minimum": 0}
_PERCENT = {"type": "integer", "minimum": 0, "maximum": 100}
_VND = {"type": "integer", "minimum": 0}
_HEALTH_COUNTS = {
    "type": "object",
    "description": "Commitments counted by health (withdrawn ones have none).",
    "required": HEALTHS,
    "properties": {h: _COUNT for h in HEALTHS},
    "additionalProperties": False,
}
_TALLY_PROPERTIES = {
    "health": _HEALTH_COUNTS,
    "percent": {**_PERCENT, "description": "Average completion of the counted commitments."},
    "planned_vnd": {
        "type": ["integer", "null"],
        "minimum": 0,
        "description": "Sum of the known planned budgets; null when none is known.",
    },
    "spent_vnd": {**_VND, "description": "Verified spending up to the as-of day."},
}
_TALLY_REQUIRED = ["health", "percent", "planned_vnd", "spent_vnd"]
_AS_OF = {**DATE, "description": "The day the figures are judged as of."}

SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "details"],
                "properties": {
                    "code": {
                        "type": "string",
                        "description": "Stable machine-readable code (see docs/api.md).",
                    },
                    "message": {"type": "string", "description": "For people, translated."},
                    "details": {"type": "object"},
                },
            }
        },
    },
    "Unit": _UNIT,
    "AgreementSummary": {
        "type": "object",
        "required": [
            "code",
            "title",
            "province",
            "partner",
            "status",
            "signed_on",
            "period_start",
            "period_end",
            "vision_year",
            "figures",
        ],
        "properties": {
            "code": {"type": "string"},
            "title": {"type": "string"},
            "province": _UNIT,
            "partner": {"type": "string"},
            "status": {"enum": _values(AgreementStatus)},
            "signed_on": _nullable(DATE),
            "period_start": DATE,
            "period_end": DATE,
            "vision_year": {"type": ["integer", "null"]},
            "figures": {"$ref": "#/components/schemas/AgreementTally"},
        },
    },
    "AgreementTally": {
        "type": "object",
        "description": "An agreement's figures as of its own day or `?as_of=`.",
        "required": ["as_of", "commitments", *_TALLY_REQUIRED],
        "properties": {"as_of": _AS_OF, "commitments": _COUNT, **_TALLY_PROPERTIES},
    },
    "AgreementFigures": {
        "type": "object",
        "description": "The figures of the dashboard, the review and the Excel export.",
        "required": ["code", "as_of", "commitments", *_TALLY_REQUIRED, "areas", "reporting"],
        "properties": {
            "code": {"type": "string"},
            "as_of": _AS_OF,
            "commitments": _COUNT,
            **_TALLY_PROPERTIES,
            "areas": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "code", "title", "count", *_TALLY_REQUIRED],
                    "properties": {
                        "id": ID,
                        "code": {"type": "string"},
                        "title": {"type": "string"},
                        "count": _COUNT,
                        **_TALLY_PROPERTIES,
                    },
                },
            },
            "reporting": {
                "type": "object",
                "description": "The reporting period current on the as-of day and, per lead "
                "unit, its counted commitments reported and verified by then.",
                "required": ["period", "deadline_on", "units"],
                "properties": {
                    "period": {"type": ["string", "null"]},
                    "deadline_on": _nullable(DATE),
                    "units": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["unit", "unit_id", "expected", "reported", "verified"],
                            "properties": {
                                "unit": {"type": "string"},
                                "unit_id": ID,
                                "expected": _COUNT,
                                "reported": _COUNT,
                                "verified": _COUNT,
                                "percent": _PERCENT,
                            },
                        },
                    },
                },
            },
        },
    },
    "CommitmentFigures": {
        "type": "object",
        "description": "The commitment's progress as of the day, as the dashboard counts it.",
        "required": [
            "as_of",
            "health",
            "completion",
            "percent",
            "milestones_total",
            "milestones_met",
            "milestones_late",
            "spent_vnd",
            "last_verified_on",
        ],
        "properties": {
            "as_of": _AS_OF,
            "health": {
                "enum": [*HEALTHS, None],
                "description": "null for a withdrawn commitment.",
            },
            "completion": {"enum": _values(Completion)},
            "percent": _PERCENT,
            "milestones_total": _COUNT,
            "milestones_met": _COUNT,
            "milestones_late": _COUNT,
            "spent_vnd": _VND,
            "last_verified_on": _nullable(DATE),
        },
    },
    "AgreementPage": {
        "type": "object",
        "required": ["items", "page", "per_page", "total"],
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/AgreementSummary"}},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
            "total": {"type": "integer", "minimum": 0},
        },
    },
    "CommitmentRef": {
        "type": "object",
        "required": ["id", "code", "title"],
        "properties": {"id": ID, "code": {"type": "string"}, "title": {"type": "string"}},
    },
    "Area": {
        "type": "object",
        "required": ["id", "code", "title", "description", "position", "commitments"],
        "properties": {
            "id": ID,
            "code": {"type": "string"},
            "title": {"type": "string"},
            "description": {"type": ["string", "null"]},
            "position": {"type": "integer"},
            "commitments": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/CommitmentRef"},
            },
        },
    },
    "Commitment": {
        "type": "object",
        "required": [
            "id",
            "code",
            "title",
            "description",
            "agreement",
            "area",
            "committed_by",
            "lead_unit",
            "support_units",
            "budget_vnd",
            "funding_source",
            "due_on",
            "priority",
            "completion",
            "percent_complete",
            "version",
            "figures",
        ],
        "properties": {
            "id": ID,
            "code": {"type": "string"},
            "title": {"type": "string"},
            "description": {"type": ["string", "null"]},
            "agreement": {"type": "string", "description": "The agreement's code."},
            "area": {
                "type": "object",
                "required": ["id", "code", "title"],
                "properties": {"id": ID, "code": {"type": "string"}, "title": {"type": "string"}},
            },
            "committed_by": {"enum": _values(Side)},
            "lead_unit": _UNIT,
            "support_units": {"type": "array", "items": _UNIT},
            "budget_vnd": {"type": ["integer", "null"], "minimum": 0},
            "funding_source": _nullable({"enum": _values(FundingSource)}),
            "due_on": _nullable(DATE),
            "priority": {"type": "boolean"},
            "completion": {"enum": _values(Completion)},
            "percent_complete": {
                "type": "integer",
                "minimum": 0,
                "maximum": 100,
                "description": "As recorded from the last verified report; the dashboard "
                "counts `figures.percent`.",
            },
            "version": {"type": "integer"},
            "figures": {"$ref": "#/components/schemas/CommitmentFigures"},
        },
    },
    "Milestone": {
        "type": "object",
        "required": ["id", "title", "due_on", "original_due_on", "done_on", "status", "version"],
        "properties": {
            "id": ID,
            "title": {"type": "string"},
            "due_on": DATE,
            "original_due_on": _nullable(DATE),
            "done_on": _nullable(DATE),
            "status": {"enum": _values(MilestoneStatus)},
            "version": {"type": "integer"},
        },
    },
    "Indicator": {
        "type": "object",
        "required": [
            "id",
            "name",
            "unit",
            "baseline",
            "target",
            "target_on",
            "direction",
            "measurements",
        ],
        "properties": {
            "id": ID,
            "name": {"type": "string"},
            "unit": {"type": "string"},
            "baseline": {"type": "number"},
            "target": {"type": "number"},
            "target_on": _nullable(DATE),
            "direction": {"enum": _values(Direction)},
            "measurements": {
                "type": "array",
                "description": "Verified values only, oldest first.",
                "items": {
                    "type": "object",
                    "required": ["on", "value", "note"],
                    "properties": {
                        "on": DATE,
                        "value": {"type": "number"},
                        "note": {"type": ["string", "null"]},
                    },
                },
            },
        },
    },
    "Directive": {
        "type": "object",
        "required": [
            "id",
            "issued_on",
            "issued_by",
            "meeting",
            "text",
            "assignee",
            "due_on",
            "done_on",
            "overdue",
        ],
        "properties": {
            "id": ID,
            "issued_on": DATE,
            "issued_by": {"type": "string"},
            "meeting": {"type": ["string", "null"]},
            "text": {"type": "string"},
            "assignee": _UNIT,
            "due_on": _nullable(DATE),
            "done_on": _nullable(DATE),
            "overdue": {"type": "boolean"},
        },
    },
    "Period": {
        "type": "object",
        "required": [
            "id",
            "kind",
            "year",
            "number",
            "label",
            "starts_on",
            "ends_on",
            "deadline_on",
            "reopened_until",
            "open",
        ],
        "properties": {
            "id": ID,
            "kind": {"enum": _values(PeriodKind)},
            "year": {"type": "integer"},
            "number": {"type": "integer"},
            "label": {"type": "string"},
            "starts_on": DATE,
            "ends_on": DATE,
            "deadline_on": DATE,
            "reopened_until": _nullable(DATE),
            "open": {"type": "boolean", "description": "Whether reports are accepted today."},
        },
    },
    "Evidence": {
        "type": "object",
        "required": [
            "id",
            "title",
            "kind",
            "issued_on",
            "file_name",
            "sha256",
            "size",
            "content_type",
            "superseded_by",
        ],
        "properties": {
            "id": ID,
            "title": {"type": "string"},
            "kind": {"enum": _values(EvidenceKind)},
            "issued_on": _nullable(DATE),
            "file_name": {"type": "string"},
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "size": {"type": "integer", "minimum": 1},
            "content_type": {"type": "string"},
            "superseded_by": {"type": ["integer", "null"]},
        },
    },
    "ReportSummary": {
        "type": "object",
        "required": [
            "id",
            "commitment_id",
            "period",
            "status",
            "percent_complete",
            "completion",
            "submitted_at",
            "verified_at",
            "version",
        ],
        "properties": {
            "id": ID,
            "commitment_id": ID,
            "period": {"$ref": "#/components/schemas/Period"},
            "status": {"enum": _values(ReportStatus)},
            "percent_complete": {"type": "integer", "minimum": 0, "maximum": 100},
            "completion": {"enum": _values(Completion)},
            "submitted_at": _nullable(DATETIME),
            "verified_at": _nullable(DATETIME),
            "version": {"type": "integer"},
        },
    },
    "Report": {
        "allOf": [
            {"$ref": "#/components/schemas/ReportSummary"},
            {
                "type": "object",
                "required": [
                    "spent_vnd",
                    "narrative",
                    "unit",
                    "values",
                    "milestones",
                    "evidence",
                    "events",
                ],
                "properties": {
                    "spent_vnd": {"type": ["integer", "null"], "minimum": 0},
                    "narrative": {"type": ["string", "null"]},
                    "unit": {"oneOf": [_UNIT, {"type": "null"}]},
                    "values": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["indicator_id", "value", "note"],
                            "properties": {
                                "indicator_id": ID,
                                "value": {"type": "number"},
                                "note": {"type": ["string", "null"]},
                            },
                        },
                    },
                    "milestones": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["milestone_id", "status", "done_on"],
                            "properties": {
                                "milestone_id": ID,
                                "status": {"enum": _values(MilestoneStatus)},
                                "done_on": DATE,
                            },
                        },
                    },
                    "evidence": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/Evidence"},
                    },
                    "events": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["action", "reason", "at"],
                            "properties": {
                                "action": {"enum": _values(ReportAction)},
                                "reason": {"type": ["string", "null"]},
                                "at": DATETIME,
                            },
                        },
                    },
                },
            },
        ]
    },
    "ReportInput": REPORT_INPUT,
    "SubmitInput": SUBMIT_INPUT,
    "EvidenceInput": EVIDENCE_INPUT,
    "ExternalSigningInput": EXTERNAL_SIGNING_INPUT,
    "ExternalSignatureInput": EXTERNAL_SIGNATURE_INPUT,
    "ExternalSigning": {
        "type": "object",
        "required": ["session", "digest", "digest_algorithm", "number", "expires_at"],
        "properties": {
            "session": {"type": "string", "description": "Pass it to the finishing call."},
            "digest": {
                "type": "string",
                "description": "What to sign: the SHA-256 of the prepared document's byte "
                "range, base64.",
            },
            "digest_hex": {"type": "string"},
            "digest_algorithm": {"const": "sha256"},
            "number": {"type": "string", "description": "The register number, e.g. 12/BC-UBND."},
            "expires_at": DATETIME,
            "finish": {"type": "string", "description": "The URL of the finishing call."},
        },
    },
}


def _list_of(ref: str) -> dict:
    return {
        "type": "object",
        "required": ["items"],
        "properties": {
            "items": {"type": "array", "items": {"$ref": f"#/components/schemas/{ref}"}}
        },
    }


for _name in ("Area", "Milestone", "Indicator", "Directive", "Period", "ReportSummary"):
    SCHEMAS[f"{_name}List"] = _list_of(_name)


def _agreement_document_schema() -> dict:
    """The tracker.agreement/v1 JSON Schema from docs/, usable as an OpenAPI 3.1 component."""

    document = copy.deepcopy(schema())
    for key in ("$schema", "$id"):
        document.pop(key, None)
    return document


def _error(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _ok(ref: str, description: str = "OK") -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }


ERRORS = {
    "400": _error("The request is malformed or does not match its schema (`invalid_request`)."),
    "401": _error("No valid token (`unauthorized`)."),
    "404": _error(
        "No such object, or one outside your scope (`not_found`): the same answer for both."
    ),
}
WRITE_ERRORS = {
    "403": _error("You may see the object but not do this to it (`forbidden`)."),
    "409": _error(
        "The object's state does not allow it (`conflict`, `not_editable`, `period_closed`) or "
        "it changed since you read it (`stale`)."
    ),
    "413": _error("The upload is too large (`too_large`)."),
    "415": _error("The body is not of the declared media type (`unsupported_media_type`)."),
    "422": _error(
        "Well-formed, but refused by a business rule (`unprocessable`), e.g. a date in the "
        "future or an indicator of another commitment."
    ),
}


def _id_param(name: str, description: str) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    }


CODE_PARAM = {
    "name": "code",
    "in": "path",
    "required": True,
    "description": "The agreement's code, e.g. QB-VNPT-2020.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 40},
}
AS_OF_PARAM = {
    "name": "as_of",
    "in": "query",
    "description": "Judge the figures as of this day (YYYY-MM-DD; default: the agreement's own "
    "day, today or the end of a closed agreement). A day in the future is refused (422).",
    "schema": DATE,
}
COMMITMENT_PARAM = _id_param("commitment_id", "The commitment's id.")
REPORT_PARAM = _id_param("report_id", "The progress report's id.")
PERIOD_PARAM = _id_param("period_id", "The reporting period's id (see GET /periods).")
REVIEW_PARAM = _id_param("review_id", "The generated review's id (a draft).")
SESSION_PARAM = {
    "name": "session",
    "in": "path",
    "required": True,
    "description": "The session the preparing call returned.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 64},
}


AS_OF_ERRORS = {"422": _error("`as_of` is a day in the future (`unprocessable`).")}


def _get(summary: str, ok: dict, params: list, description: str = "") -> dict:
    operation = {
        "summary": summary,
        "parameters": params,
        "responses": {"200": ok, **ERRORS, **(AS_OF_ERRORS if AS_OF_PARAM in params else {})},
    }
    if description:
        operation["description"] = description
    return {"get": operation}


def document() -> dict:
    """The OpenAPI 3.1 document of API v1."""
    paths = {
        "/openapi.json": {
            "get": {
                "summary": "This document",
                "security": [],
                "responses": {
                    "200": {
                        "description": "The OpenAPI 3.1 description of the API.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
        "/agreements": _get(
            "Agreements you may see, newest first",
            _ok("AgreementPage"),
            [
                {
                    "name": "page",
                    "in": "query",
                    "description": "Page number, from 1.",
                    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
                },
                {
                    "name": "per_page",
                    "in": "query",
                    "description": f"Items per page, at most {MAX_PER_PAGE}.",
                    "schema": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": MAX_PER_PAGE,
                        "default": DEFAULT_PER_PAGE,
                    },
                },
                {
                    "name": "status",
                    "in": "query",
                    "description": "Only agreements with this status.",
                    "schema": {"enum": _values(AgreementStatus)},
                },
                {
                    "name": "q",
                    "in": "query",
                    "description": "Search words (case and diacritics ignored).",
                    "schema": {"type": "string", "maxLength": 200},
                },
                AS_OF_PARAM,
            ],
        ),
        "/agreements/{code}": _get(
            "The whole agreement as a tracker.agreement/v1 document",
            _ok("AgreementDocument"),
            [CODE_PARAM],
            "The same document as `tracker export CODE --format json`.",
        ),
        "/agreements/{code}/figures": _get(
            "The agreement's figures as of a day",
            _ok("AgreementFigures"),
            [CODE_PARAM, AS_OF_PARAM],
            "Counts by health, completion, budgets, per area and reporting compliance: the "
            "same numbers as the dashboard, the review PDF and the Excel export's summary.",
        ),
        "/agreements/{code}/areas": _get(
            "The agreement's areas with their commitments", _ok("AreaList"), [CODE_PARAM]
        ),
        "/agreements/{code}/directives": _get(
            "The agreement's leadership directives", _ok("DirectiveList"), [CODE_PARAM]
        ),
        "/commitments/{commitment_id}": _get(
            "A commitment, with its figures as of a day",
            _ok("Commitment"),
            [COMMITMENT_PARAM, AS_OF_PARAM],
        ),
        "/commitments/{commitment_id}/milestones": _get(
            "The commitment's milestones", _ok("MilestoneList"), [COMMITMENT_PARAM]
        ),
        "/commitments/{commitment_id}/indicators": _get(
            "The commitment's indicators with their verified values",
            _ok("IndicatorList"),
            [COMMITMENT_PARAM],
        ),
        "/commitments/{commitment_id}/reports": _get(
            "The commitment's progress reports, oldest period first",
            _ok("ReportSummaryList"),
            [COMMITMENT_PARAM],
        ),
        "/commitments/{commitment_id}/reports/{period_id}": {
            "post": {
                "summary": "Create or update the draft report of a commitment for a period",
                "description": "Allowed to the commitment's lead and supporting units (VNPT), "
                "the province's DIC and admins, while the period accepts reports and the "
                "report is a draft or was returned. Answers 201 when the draft is created, "
                "200 when it is updated.",
                "parameters": [COMMITMENT_PARAM, PERIOD_PARAM],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/ReportInput"}}
                    },
                },
                "responses": {
                    "200": _ok("Report", "The draft was updated."),
                    "201": {
                        **_ok("Report", "The draft was created."),
                        "headers": {
                            "Location": {
                                "description": "The report's URL.",
                                "schema": {"type": "string"},
                            }
                        },
                    },
                    **ERRORS,
                    **WRITE_ERRORS,
                },
            }
        },
        "/reports/{report_id}": _get("A progress report", _ok("Report"), [REPORT_PARAM]),
        "/reports/{report_id}/submit": {
            "post": {
                "summary": "Submit a draft (or returned) report for verification",
                "parameters": [REPORT_PARAM],
                "requestBody": {
                    "required": False,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/SubmitInput"}}
                    },
                },
                "responses": {
                    "200": _ok("Report", "The report is now awaiting verification."),
                    **ERRORS,
                    **WRITE_ERRORS,
                },
            }
        },
        "/reviews/{review_id}/external-signing": {
            "post": {
                "summary": "Prepare a draft review for a signature made elsewhere",
                "description": "For USB tokens and remote signing services (VNPT SmartCA and "
                "the like). Leaders of the agreement's province only. The certificate is checked "
                "(validity, key usage); the review takes its register number and is drawn again "
                "with it, with the signer's field and a placeholder. Sign `digest` with the "
                "certificate's key as a CMS SignedData and send it to `finish` before "
                "`expires_at`. The number is never given to another review.",
                "parameters": [REVIEW_PARAM],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/ExternalSigningInput"}
                        }
                    },
                },
                "responses": {
                    "201": _ok("ExternalSigning", "Prepared: sign the digest."),
                    **ERRORS,
                    **WRITE_ERRORS,
                },
            }
        },
        "/external-signings/{session}/finish": {
            "post": {
                "summary": "Finish an external signature: embed the CMS, get the signed PDF",
                "description": "Refused (422) when the CMS is not a SignedData, is signed with "
                "another certificate or over another digest, or does not verify; 409 when the "
                "session has expired or is finished.",
                "parameters": [SESSION_PARAM],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/ExternalSignatureInput"}
                        }
                    },
                },
                "responses": {
                    "200": {
                        "description": "The signed review (PDF, the document of record).",
                        "content": {
                            "application/pdf": {"schema": {"type": "string", "format": "binary"}}
                        },
                    },
                    **ERRORS,
                    **WRITE_ERRORS,
                },
            }
        },
        "/reports/{report_id}/evidence": {
            "post": {
                "summary": "Attach a file of evidence to a report being written",
                "description": "The same checks as uploads in the app: size, and a content type "
                "decided from the file's content; images get a thumbnail.",
                "parameters": [REPORT_PARAM],
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {"$ref": "#/components/schemas/EvidenceInput"}
                        }
                    },
                },
                "responses": {
                    "201": _ok("Evidence", "The evidence was attached."),
                    **ERRORS,
                    **WRITE_ERRORS,
                },
            }
        },
        "/periods": _get(
            "The reporting periods of an agreement",
            _ok("PeriodList"),
            [
                {
                    "name": "agreement",
                    "in": "query",
                    "required": True,
                    "description": "The agreement's code.",
                    "schema": {"type": "string", "minLength": 1, "maxLength": 40},
                }
            ],
        ),
    }
    schemas = {**SCHEMAS, "AgreementDocument": _agreement_document_schema()}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Cooperation Agreement Tracker API",
            "version": "1.0.0",
            "description": "Read agreements, areas, commitments, milestones, indicators, "
            "directives and progress reports; write and submit progress reports with evidence. "
            "Authenticate with a personal API token (created under /account/tokens) sent as "
            "`Authorization: Bearer trk_…`. Every error has the shape "
            '`{"error": {"code", "message", "details"}}`. See docs/api.md.',
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "trk_…",
                    "description": "A personal API token from /account/tokens.",
                }
            },
        },
    }
