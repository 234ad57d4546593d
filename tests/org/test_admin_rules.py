"""The administration holds no account rule of its own (it calls tracker/auth/services.py); the
layers themselves are checked by tests/test_layers.py."""

import ast
from pathlib import Path

import tracker

ROOT = Path(tracker.__file__).parent


def _imports(package: str) -> set[str]:
    names = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
    return names


def test_the_administration_screens_hold_no_account_rule():
    source = (ROOT / "admin" / "views.py").read_text(encoding="utf-8")
    for rule in ("password_problem", "EMAIL_RE", "check_role_unit", "normalise_email"):
        assert rule not in source
    assert "accounts.create_user(" in source and "accounts.update_user(" in source
