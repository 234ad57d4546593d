"""`tracker gc`: unreferenced stored files and stale temporary files go; referenced files, recent
files and anything it does not recognise stay."""

import os
import time
from datetime import date

import pytest

from tests import factories
from tests.ops import (
    Upload,
    close,
    database,
    make_app,
    migrated_database,
    pdf_bytes,
    png_bytes,
)
from tracker import storage
from tracker.agreements.models import Document
from tracker.extensions import db
from tracker.ops import gc
from tracker.ops.cli import _size as human_size
from tracker.progress.models import Evidence
from tracker.reports.models import GeneratedReport, ReviewKind

TWO_HOURS_AGO = time.time() - 7200


def age(path, when=TWO_HOURS_AGO):
    os.utime(path, (when, when))
    return path


def run(app, *args):
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["gc", *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    with migrated_database(tmp_path_factory.mktemp("gc"), "ops_gc_empty") as url:
        yield url


@pytest.fixture
def instance(tmp_path, migrated):
    """Rows referencing every kind of stored file, plus orphans, temporary and unknown files."""

    folder = tmp_path / "files"
    with database(tmp_path, "ops_gc", template=migrated) as url:
        app = make_app(url, folder)
        files = {}
        with app.app_context():
            p = factories.province()
            dic = factories.unit(p)
            agreement = factories.agreement(p)
            directive = factories.directive(agreement, dic)
            evidence = storage.store(Upload("minh chứng.pdf", pdf_bytes("gc-evidence")))
            image = storage.store(Upload("ảnh.png", png_bytes(7)))
            thumb = storage.make_thumbnail(image)
            document = storage.store(Upload("văn bản.pdf", pdf_bytes("gc-document")))
            review = storage.store_bytes(pdf_bytes("gc-review"), "review.pdf", storage.PDF)
            for stored, thumbnail in ((evidence, None), (image, thumb)):
                db.session.add(
                    Evidence(
                        directive=directive,
                        title=stored.file_name,
                        file_name=stored.file_name,
                        sha256=stored.sha256,
                        size=stored.size,
                        content_type=stored.content_type,
                        thumbnail_sha256=thumbnail,
                    )
                )
            db.session.add(
                Document(
                    agreement=agreement,
                    title="Văn bản",
                    file_name=document.file_name,
                    sha256=document.sha256,
                    size=document.size,
                    content_type=document.content_type,
                )
            )
            db.session.add(
                GeneratedReport(
                    agreement_id=agreement.id,
                    kind=ReviewKind.five_year,
                    lang="vi",
                    date_from=date(2020, 1, 1),
                    date_to=date(2025, 12, 31),
                    data_fingerprint="0" * 64,
                    sha256=review.sha256,
                    size=review.size,
                )
            )
            db.session.commit()
            referenced = [evidence.sha256, image.sha256, thumb, document.sha256, review.sha256]
            files["referenced"] = [age(storage.path_for(sha)) for sha in referenced]
            files["review"] = storage.path_for(review.sha256)
            old = storage.store(Upload("old orphan.pdf", pdf_bytes("gc-old-orphan")))
            young = storage.store(Upload("young orphan.pdf", pdf_bytes("gc-young-orphan")))
            files["old_orphan"] = age(storage.path_for(old.sha256))
            files["young_orphan"] = storage.path_for(young.sha256)
            db.session.remove()
        for name in (".upload-old1", ".thumb-old2", ".generated-old3"):
            (folder / name).write_bytes(b"partial")
            files.setdefault("old_temp", []).append(age(folder / name))
        (folder / ".upload-young").write_bytes(b"being written")
        files["young_temp"] = folder / ".upload-young"
        unknown = [folder / "README.txt", folder / "ab" / "notes.txt", folder / ".restore-x" / "f"]
        for path in unknown:
            path.parent.mkdir(exist_ok=True)
            path.write_text("not ours")
            age(path)
        files["unknown"] = unknown
        yield app, folder, files
        close(app)


def test_dry_run_lists_and_removes_nothing(instance):
    app, folder, files = instance
    before = sorted(folder.rglob("*"))
    output = run(app, "--dry-run")
    assert output.splitlines() == [
        f"would remove unreferenced {files['old_orphan'].relative_to(folder)}",
        *sorted(f"would remove temporary {p.name}" for p in files["old_temp"]),
        f"Would remove 1 unreferenced and 3 temporary file(s) "
        f"({human_size(files['old_orphan'].stat().st_size + 3 * len(b'partial'))}); "
        "kept 1 recent unreferenced file(s).",
    ]
    assert sorted(folder.rglob("*")) == before


def test_removes_orphans_and_stale_temporaries_only(instance):
    app, folder, files = instance
    output = run(app)
    assert "Removed 1 unreferenced and 3 temporary file(s)" in output
    assert not files["old_orphan"].exists()
    assert not any(p.exists() for p in files["old_temp"])
    for key in ("referenced", "unknown"):
        assert all(p.exists() for p in files[key]), key
    assert files["young_orphan"].exists() and files["young_temp"].exists()

    # With no grace period (the app stopped), the recent orphan goes too; a temporary file
    # younger than an hour never does, and referenced files never do.
    output = run(app, "--min-age", "0")
    assert "Removed 1 unreferenced and 0 temporary file(s)" in output
    assert not files["young_orphan"].exists()
    assert files["young_temp"].exists()
    assert all(p.exists() for p in files["referenced"] + files["unknown"])
    assert "Removed 0 unreferenced and 0 temporary file(s) (0 bytes)." in run(app, "--min-age", "0")


def test_a_generated_review_is_never_collected(instance):
    """The registry of stored-file columns (tracker.storage) includes the generated reviews'."""
    app, folder, files = instance
    run(app, "--min-age", "0")
    assert files["review"].exists()
    with app.app_context():
        assert storage.in_use(files["review"].name)


def test_a_file_referenced_meanwhile_is_kept(instance, monkeypatch):
    """An upload whose content was already on disk as an orphan commits its row between the
    scan and the deletion: the references are read again and the file stays."""
    app, folder, files = instance
    sha = files["old_orphan"].name
    real = gc._referenced
    calls = []

    def referenced():
        calls.append(1)
        found = real()
        return found if len(calls) == 1 else found | {sha}

    monkeypatch.setattr(gc, "_referenced", referenced)
    output = run(app)
    assert len(calls) == 2
    assert files["old_orphan"].exists()
    assert "Removed 0 unreferenced and 3 temporary file(s)" in output


def test_reports_missing_referenced_files(instance):
    app, folder, files = instance
    missing = files["referenced"][0]
    missing.unlink()
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["gc", "--dry-run"])
    assert result.exit_code == 0
    assert f"WARNING referenced file missing: {missing.parent.name}/{missing.name}" in (
        result.output
    )


def test_no_upload_folder_yet(tmp_path, migrated):
    with database(tmp_path, "ops_gc", template=migrated) as url:
        app = make_app(url, tmp_path / "absent")
        assert "Removed 0 unreferenced and 0 temporary file(s)" in run(app)
        close(app)
