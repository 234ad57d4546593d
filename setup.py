"""Compile the translation catalogs whenever the package is built or installed, editable
installs included (`pip install -e .` runs build_py too): without the .mo files the app would
serve English under <html lang="vi">. Everything else is in pyproject.toml."""

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup
from setuptools.command.build_py import build_py

TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def compile_catalogs(root: Path = TRANSLATIONS) -> list[Path]:
    """Write translations/<lang>/LC_MESSAGES/*.mo from each .po (fuzzy entries left out, as
    `pybabel compile` does)."""
    written = []
    for po in sorted(root.glob("*/LC_MESSAGES/*.po")):
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parent.parent.name)
        mo = po.with_suffix(".mo")
        with mo.open("wb") as target:
            write_mo(target, catalog, use_fuzzy=False)
        written.append(mo)
    return written


class BuildWithCatalogs(build_py):
    """build_py that compiles the catalogs first."""

    def run(self):
        for mo in compile_catalogs():
            self.announce(f"compiled {mo.relative_to(TRANSLATIONS.parent)}", level=2)
        super().run()


if __name__ == "__main__":  # as setuptools runs it; tests import compile_catalogs
    setup(cmdclass={"build_py": BuildWithCatalogs})
