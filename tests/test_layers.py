"""The layering contract of pyproject.toml holds (import-linter), it names every module of the
package, and no module imports inside a function (ruff PLC0415) but the app factory."""

import subprocess
import sys
import tomllib
from pathlib import Path

import tracker

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(*command) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


def test_features_depend_one_way():
    result = _run(str(BIN / "lint-imports"), "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_the_contract_places_every_module_of_the_package():
    """A new package or core module must be given its layer, or the contract would not see it."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (contract,) = config["tool"]["importlinter"]["contracts"]
    layered = {
        name.strip() for layer in contract["layers"] for name in layer.replace("|", ":").split(":")
    }
    package = Path(tracker.__file__).parent
    modules = {
        f"tracker.{path.stem if path.is_file() else path.name}"
        for path in package.iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").exists()
    }
    assert modules - layered == set()


def test_no_import_inside_a_function():
    result = _run(str(BIN / "ruff"), "check", "--select", "PLC0415", "tracker", "tests")
    assert result.returncode == 0, result.stdout + result.stderr
