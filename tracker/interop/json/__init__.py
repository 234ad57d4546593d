"""The `tracker.agreement/v1` interchange format (DESIGN §5, docs/interchange.md): `read`
(parse, schema, typed readers), `export`, `plan` (match a file to what is stored) and `apply`
(carry the plan out through the services). Callers use the names below."""

from tracker.interop.json.apply import import_agreement, run_import
from tracker.interop.json.export import document_bytes, export_agreement, json_number
from tracker.interop.json.read import (
    FORMAT,
    MAX_JSON_BYTES,
    DocumentError,
    encoding_problem,
    explain,
    load_json,
    schema,
    syntax_problem,
    validate_document,
)

__all__ = [
    "FORMAT",
    "MAX_JSON_BYTES",
    "DocumentError",
    "document_bytes",
    "encoding_problem",
    "explain",
    "export_agreement",
    "import_agreement",
    "json_number",
    "load_json",
    "run_import",
    "schema",
    "syntax_problem",
    "validate_document",
]
