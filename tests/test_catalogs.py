"""Compiled translation catalogs: installing the package compiles them (setup.py's build_py, run
by `pip install -e .` too), and without them, or with ones older than their .po, the app refuses
to start and `tracker check` fails, each saying how to fix it (instead of English pages under
<html lang="vi">)."""

import gettext
import importlib.util
import os
import shutil

import click
import pytest

from tracker import create_app
from tracker.catalogs import CatalogsNotCompiled, catalog_problem
from tracker.config import ROOT, TestingConfig
from tracker.ops.check import check_catalogs

FIX = "pybabel compile -d translations"


def _setup_module():
    spec = importlib.util.spec_from_file_location("tracker_setup", ROOT / "setup.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def translations(tmp_path):
    """A copy of the Vietnamese source catalog, not compiled."""
    folder = tmp_path / "translations" / "vi" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "translations/vi/LC_MESSAGES/messages.po", folder)
    return tmp_path / "translations"


def _config(translations, tmp_path, *, testing=False):
    class Config(TestingConfig):
        TESTING = testing
        BABEL_TRANSLATION_DIRECTORIES = str(translations)
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'catalogs.sqlite3'}"

    return Config


def test_installing_compiles_the_catalogs_into_vietnamese(translations):
    written = _setup_module().compile_catalogs(translations)
    assert [p.name for p in written] == ["messages.mo"]
    catalog = gettext.GNUTranslations(written[0].open("rb"))
    assert catalog.gettext("Page %(page)d of %(pages)d") == "Trang %(page)d/%(pages)d"
    assert catalog_problem(str(translations)) is None


def test_the_setup_hook_compiles_in_build_py():
    module = _setup_module()
    assert issubclass(module.BuildWithCatalogs, module.build_py)


def test_missing_catalogs_are_named_with_the_fix(translations):
    problem = catalog_problem(str(translations))
    assert "messages.mo is missing" in problem and FIX in problem


def test_a_catalog_older_than_its_source_is_stale(translations):
    (mo,) = _setup_module().compile_catalogs(translations)
    po = mo.with_suffix(".po")
    os.utime(mo, (po.stat().st_mtime - 60, po.stat().st_mtime - 60))
    problem = catalog_problem(str(translations))
    assert "is older than messages.po" in problem and FIX in problem


def test_the_app_refuses_to_start_without_compiled_catalogs(translations, tmp_path):
    with pytest.raises(CatalogsNotCompiled, match="pybabel compile -d translations"):
        create_app(_config(translations, tmp_path))


def test_the_app_starts_once_they_are_compiled(translations, tmp_path):
    _setup_module().compile_catalogs(translations)
    app = create_app(_config(translations, tmp_path))
    assert app.config["BABEL_TRANSLATION_DIRECTORIES"] == str(translations)


def test_under_the_cli_the_server_answers_the_problem_not_english(translations, tmp_path):
    with click.Context(click.Command("run")):
        app = create_app(_config(translations, tmp_path))
    response = app.test_client().get("/login")
    assert response.status_code == 503
    assert FIX in response.get_data(as_text=True)


def test_tracker_check_fails_on_missing_catalogs(translations, tmp_path):
    app = create_app(_config(translations, tmp_path, testing=True))
    (finding,) = check_catalogs(app)
    assert not finding.ok and FIX in finding.line()
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 1, result.output
    assert "FAIL  translations: the translation catalogs are not compiled" in result.output


def test_tracker_check_passes_on_the_installed_catalogs(app):
    (finding,) = check_catalogs(app)
    assert finding.ok, finding.line()
