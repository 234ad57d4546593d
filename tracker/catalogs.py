"""The compiled translation catalogs the app needs: without them (or with ones older than their
.po source) Flask-Babel silently serves English under <html lang="vi">, so the app refuses to
start and `tracker check` fails instead."""

from pathlib import Path

import click

#: How to fix it, in every message.
FIX = (
    "run `pybabel compile -d translations` (or `make translations`) in the source tree, "
    "or reinstall the package (`pip install -e .` compiles them)"
)


class CatalogsNotCompiled(RuntimeError):
    """A translation catalog is missing or stale."""


def catalog_problem(directories: str) -> str | None:
    """What is wrong with the catalogs under the translation directories (';'-separated, as
    BABEL_TRANSLATION_DIRECTORIES), or None when each .po has a .mo at least as new."""
    sources = []
    for directory in filter(None, directories.split(";")):
        sources += sorted(Path(directory).glob("*/LC_MESSAGES/*.po"))
    if not sources:
        return f"no translation catalogs (.po) found in {directories}"
    missing = [po for po in sources if not po.with_suffix(".mo").is_file()]
    if missing:
        return (
            f"the translation catalogs are not compiled ({missing[0].with_suffix('.mo')} "
            f"is missing): {FIX}"
        )
    stale = [po for po in sources if po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime]
    if stale:
        return (
            f"the compiled translation catalog {stale[0].with_suffix('.mo')} is older than "
            f"{stale[0].name}: {FIX}"
        )
    return None


def check_catalogs(app) -> None:
    """Refuse to build the app (outside the test suite) on missing or stale catalogs.

    Under the `tracker` command the app is still built, so that `tracker check` can report the
    problem and `tracker db upgrade` or `tracker demo` still work; each command warns, and the
    development server answers every request with the problem (503) instead of English pages."""
    if app.testing:
        return
    problem = catalog_problem(app.config["BABEL_TRANSLATION_DIRECTORIES"])
    if problem is None:
        return
    problem = problem[0].upper() + problem[1:]
    if click.get_current_context(silent=True) is None:
        raise CatalogsNotCompiled(problem)
    click.secho(f"Warning: {problem}", err=True, fg="red")

    @app.before_request
    def refuse():
        return problem, 503, {"Content-Type": "text/plain; charset=utf-8"}
