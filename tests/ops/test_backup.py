"""`tracker backup` and `tracker restore`: a round trip into an empty instance gives the same
state (full exports, every row, every file), corrupted archives and non-empty instances are
refused, and a backup taken while another thread writes restores to a consistent database."""

import io
import json
import shutil
import tarfile
import threading
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.ops import (
    Upload,
    assert_consistent,
    close,
    database,
    make_app,
    migrate,
    migrated_database,
    pdf_bytes,
    pg_test_url,
    png_bytes,
    sha256_file,
)
from tracker import storage
from tracker.agreements import services as agreement_services
from tracker.agreements.models import Agreement, Document, Indicator, Measurement
from tracker.demo.loader import load_demo
from tracker.extensions import db
from tracker.interop.json import export_agreement
from tracker.ops.backup import FORMAT, rows_present, table_counts
from tracker.progress.models import Evidence, EvidenceKind, ProgressReport, ReportStatus
from tracker.reports import services
from tracker.reports.pdf.five_year import ReviewOptions
from tracker.storage import referenced_hashes
from tracker.trash import TrashFile


def cli(app, *args):
    """Run a command of `app` (inside its own context: the suite's app is pushed too)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=[str(a) for a in args])


def populate(app):
    """The demo data plus evidence (a PDF, an image and its thumbnail), an agreement document
    and a generated review: every kind of stored file."""

    with app.app_context():
        load_demo()
        db.session.commit()
        report = db.session.scalar(
            sa.select(ProgressReport).where(ProgressReport.status == ReportStatus.draft).limit(1)
        )
        for n, (name, data) in enumerate(
            [
                ("Biên bản nghiệm thu đợt 1.pdf", pdf_bytes("ops-1")),
                ("Ảnh khánh thành.png", png_bytes(1)),
            ]
        ):
            stored = storage.store(Upload(name, data))
            db.session.add(
                Evidence(
                    report=report,
                    title=f"Minh chứng {n}",
                    kind=EvidenceKind.minutes,
                    file_name=stored.file_name,
                    sha256=stored.sha256,
                    size=stored.size,
                    content_type=stored.content_type,
                    thumbnail_sha256=storage.make_thumbnail(stored),
                )
            )
        agreement = db.session.scalar(sa.select(Agreement).where(Agreement.code == "QB-VNPT-2020"))
        stored = storage.store(Upload("Văn bản thỏa thuận.pdf", pdf_bytes("ops-doc")))
        db.session.add(
            Document(
                agreement=agreement,
                title="Văn bản thỏa thuận đã ký",
                file_name=stored.file_name,
                sha256=stored.sha256,
                size=stored.size,
                content_type=stored.content_type,
            )
        )
        # A document in the recycle bin: its row and its file belong in the backup too.
        stored = storage.store(Upload("Dự thảo cũ.pdf", pdf_bytes("ops-trash")))
        binned = Document(
            agreement=agreement,
            title="Dự thảo cũ",
            file_name=stored.file_name,
            sha256=stored.sha256,
            size=stored.size,
            content_type=stored.content_type,
        )
        db.session.add(binned)
        db.session.flush()
        agreement_services.delete_record(binned, agreement=agreement, user=None)
        options = ReviewOptions(issued_on=agreement.period_end)
        services.generate_review(
            agreement,
            user=None,
            options=options,
            date_from=agreement.period_start,
            date_to=agreement.period_end,
        )
        db.session.commit()
        db.session.remove()


def state(app) -> dict:
    """Everything a restore must give back: full exports, every row of every table, the files."""

    with app.app_context():
        # One connection for everything: on SQLite every transaction holds the write lock.
        conn = db.session.connection()
        exports = {
            a.code: json.loads(json.dumps(export_agreement(a), sort_keys=True, default=str))
            for a in db.session.scalars(sa.select(Agreement).order_by(Agreement.code))
        }
        rows = {}
        for table in db.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows[table.name] = [tuple(r) for r in conn.execute(sa.select(table).order_by(*order))]
        hashes = referenced_hashes(conn)
        counts = table_counts(conn)
        files = {sha: sha256_file(storage.path_for(sha)) for sha in hashes}
        db.session.remove()
    return {"exports": exports, "rows": rows, "files": files, "counts": counts}


@pytest.fixture(scope="module")
def populated(tmp_path_factory):
    """A populated database and its files, built once and copied for each test."""
    tmp = tmp_path_factory.mktemp("populated")
    with database(tmp, "ops_tpl") as url:
        app = make_app(url, tmp / "files")
        migrate(app)
        populate(app)
        close(app)
        yield url, tmp / "files"


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """An empty database with the schema, copied for each test."""
    with migrated_database(tmp_path_factory.mktemp("migrated"), "ops_empty") as url:
        yield url


@pytest.fixture
def source(populated, tmp_path):
    """A populated instance."""
    template, files = populated
    with database(tmp_path, "ops_src", template=template) as url:
        shutil.copytree(files, tmp_path / "src-files")
        app = make_app(url, tmp_path / "src-files")
        yield app
        close(app)


@pytest.fixture
def target(migrated, tmp_path):
    """An empty instance (its database migrated, as after a deployment's `tracker db upgrade`)."""
    with database(tmp_path, "ops_dst", template=migrated) as url:
        app = make_app(url, tmp_path / "dst-files")
        yield app
        close(app)


@pytest.fixture(scope="module")
def archive(populated, tmp_path_factory):
    """A plain tar backup of the populated instance, made once."""
    template, files = populated
    tmp = tmp_path_factory.mktemp("archive")
    app = make_app(template, files)
    path = tmp / "backup.tar"
    result = cli(app, "backup", path)
    close(app)
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture(scope="module")
def untouched(migrated, tmp_path_factory):
    """An empty instance the refused restores must leave as it is."""
    tmp = tmp_path_factory.mktemp("untouched")
    with database(tmp, "ops_untouched", template=migrated) as url:
        app = make_app(url, tmp / "files")
        yield app
        close(app)


def assert_untouched(app):
    """No rows, no stored files."""
    with app.app_context(), db.engine.connect() as conn:
        assert not rows_present(conn)
    folder = Path(app.config["UPLOAD_FOLDER"])
    assert not list(folder.glob("??/*"))
    assert not [p for p in folder.glob(".*")]


def test_round_trip_gives_the_same_state(source, target, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    result = cli(source, "backup", archive)
    assert result.exit_code == 0, result.output
    assert "Backup written to" in result.output
    before = state(source)
    assert len(before["files"]) >= 10  # demo evidence, 2 uploads + thumbnail, documents, review
    assert before["counts"]["agreements"] == 4
    assert before["counts"]["trash_items"] == before["counts"]["trash_files"] == 1
    assert referenced_hashes_in_bin(source) <= set(before["files"])

    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["format"] == FORMAT
    assert manifest["counts"] == before["counts"]
    assert {f["sha256"] for f in manifest["files"]} == set(before["files"])
    assert all(f"files/{sha[:2]}/{sha}" in names for sha in before["files"])
    assert manifest["database"]["kind"] == ("postgresql" if pg_test_url() else "sqlite")
    assert len(manifest["database"]["sha256"]) == 64 and manifest["alembic_revision"]
    assert manifest["created_at"]

    result = cli(target, "restore", archive)
    assert result.exit_code == 0, result.output
    assert "Restored" in result.output
    after = state(target)
    assert after["exports"] == before["exports"]
    assert after["counts"] == before["counts"]
    assert after["rows"] == before["rows"]
    assert after["files"] == before["files"]
    assert all(sha == content for sha, content in after["files"].items())

    # The restored instance works: migrations at head, files present, a user can sign in.
    check = cli(target, "check")
    assert check.exit_code == 0, check.output
    with target.app_context():
        client = target.test_client()
        response = client.post(
            "/login", data={"email": "dic.quangtri@demo.vn", "password": "Demo-2026-tracker"}
        )
        assert response.status_code == 302


def test_uncompressed_archive_and_verify_only(archive, untouched):
    with open(archive, "rb") as fh:
        assert fh.read(262)[257:262] == b"ustar"  # a plain tar
    result = cli(untouched, "restore", "--verify-only", archive)
    assert result.exit_code == 0, result.output
    assert "Archive verified" in result.output
    assert_untouched(untouched)


def test_restore_refuses_an_instance_holding_data(source, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    assert cli(source, "backup", archive).exit_code == 0
    before = state(source)
    result = cli(source, "restore", archive)
    assert result.exit_code == 1
    assert "refusing to restore: the database is not empty (users: 10, agreements: 4" in (
        result.output
    )
    assert state(source) == before


def _rewrite(archive, out, change):
    """Copy a tar archive, passing each member's (info, bytes) through `change`."""
    with tarfile.open(archive) as src, tarfile.open(out, "w") as dst:
        for member in src:
            data = src.extractfile(member).read() if member.isfile() else b""
            for info, content in change(member, data):
                info.size = len(content)
                dst.addfile(info, io.BytesIO(content))


@pytest.mark.parametrize(
    "damage, message",
    [
        ("file", "is corrupted"),
        ("database", "is corrupted"),
        ("missing", "is missing"),
        ("extra", "unexpected entry"),
        ("manifest", "has no manifest.json"),
        ("truncated", "not a readable backup archive"),
    ],
)
def test_restore_refuses_a_damaged_archive(archive, untouched, tmp_path, damage, message):
    bad = tmp_path / "bad.tar"
    state_done = {"n": 0}

    def change(member, data):
        name = member.name
        if damage == "file" and name.startswith("files/") and not state_done["n"]:
            state_done["n"] = 1
            return [(member, data[:-1] + bytes([data[-1] ^ 1]))]
        if damage == "database" and name.startswith("database/"):
            return [(member, data[:100] + b"x" + data[101:])]
        if damage == "missing" and name.startswith("files/") and not state_done["n"]:
            state_done["n"] = 1
            return []
        if damage == "extra" and name == "manifest.json":
            extra = tarfile.TarInfo("../../etc/evil")
            return [(extra, b"evil"), (member, data)]
        if damage == "manifest" and name == "manifest.json":
            return []
        return [(member, data)]

    if damage == "truncated":
        bad.write_bytes(archive.read_bytes()[:5000])
    else:
        _rewrite(archive, bad, change)
    result = cli(untouched, "restore", bad)
    assert result.exit_code == 1
    assert message in result.output, result.output
    assert_untouched(untouched)


def test_backup_fails_when_a_file_no_longer_matches_its_hash(source, tmp_path):
    with source.app_context(), db.engine.connect() as conn:
        sha = sorted(referenced_hashes(conn))[0]
        path = storage.path_for(sha)
    path.write_bytes(b"%PDF-1.4 tampered")
    archive = tmp_path / "backup.tar.gz"
    result = cli(source, "backup", archive)
    assert result.exit_code == 1
    assert "no longer match their SHA-256" in result.output
    assert sha in result.output
    assert not archive.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left


def test_backup_fails_when_a_referenced_file_is_missing(source, tmp_path):
    with source.app_context(), db.engine.connect() as conn:
        sha = sorted(referenced_hashes(conn))[0]
        storage.path_for(sha).unlink()
    archive = tmp_path / "backup.tar.gz"
    result = cli(source, "backup", archive)
    assert result.exit_code == 1
    assert f"a referenced file is missing from UPLOAD_FOLDER: {sha[:2]}/{sha}" in result.output
    assert not archive.exists()


def test_restore_of_an_older_schema_upgrades_it(tmp_path, target):
    with database(tmp_path, "ops_old") as url:
        old = make_app(url, tmp_path / "old-files")
        migrate(old, "0003")
        archive = tmp_path / "old.tar.gz"
        assert cli(old, "backup", archive).exit_code == 0
        close(old)
    result = cli(target, "restore", archive)
    assert result.exit_code == 0, result.output
    assert "Database upgraded from 0003 to" in result.output
    assert cli(target, "check").exit_code == 0


def test_backup_while_another_thread_writes(source, target, tmp_path):
    """Measurements go in without pause while three backups are taken; each archive restores
    to a consistent database (integrity and every foreign key), and the counts it records lie
    between what was there before and after."""

    with source.app_context():
        indicator_id = db.session.scalar(sa.select(Indicator.id).order_by(Indicator.id).limit(1))
        start_count = db.session.scalar(sa.select(sa.func.count()).select_from(Measurement))
        db.session.remove()
    stop = threading.Event()
    written = []
    errors = []

    def writer():
        day = date(1990, 1, 1)
        try:
            with source.app_context():
                while not stop.is_set():
                    with db.engine.begin() as conn:
                        conn.execute(
                            sa.insert(Measurement.__table__).values(
                                indicator_id=indicator_id,
                                measured_on=day,
                                value=Decimal(len(written)),
                                verified=False,
                                note=f"writer {len(written)}",
                                version=1,
                            )
                        )
                    written.append(day)
                    day += timedelta(days=1)
        except Exception as exc:  # reported by the test
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    archives = []
    try:
        time.sleep(0.2)
        for n in range(3):
            archive = tmp_path / f"hot-{n}.tar.gz"
            result = cli(source, "backup", archive)
            assert result.exit_code == 0, result.output
            archives.append(archive)
            time.sleep(0.1)
    finally:
        stop.set()
        thread.join(10)
    assert not errors, errors
    assert len(written) > 10
    taken = []
    for archive in archives:
        with tarfile.open(archive) as tar:
            taken.append(json.load(tar.extractfile("manifest.json"))["counts"]["measurements"])
    assert start_count <= taken[0] <= taken[1] <= taken[2] <= start_count + len(written)
    assert taken[2] > start_count

    result = cli(target, "restore", archives[-1])
    assert result.exit_code == 0, result.output
    with target.app_context():
        url = db.engine.url
        with db.engine.connect() as conn:
            assert table_counts(conn)["measurements"] == taken[-1]
            assert_consistent(conn, url)
            # The rows are whole: consecutive days from the first, none skipped.
            days = conn.scalars(
                sa.select(Measurement.measured_on)
                .where(Measurement.note.like("writer %"))
                .order_by(Measurement.measured_on)
            ).all()
            assert days == written[: len(days)]


def referenced_hashes_in_bin(app) -> set[str]:
    """The files of the records in the recycle bin (one, from `populate`)."""
    with app.app_context():
        hashes = set(db.session.scalars(sa.select(TrashFile.sha256)))
        db.session.remove()
    assert len(hashes) == 1
    return hashes
