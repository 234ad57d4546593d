"""Many people saving the same record at once, over HTTP against a live threaded server: every
edit is either saved or refused as a conflict (never lost, never a 500), the version counts the
saved ones, and the audit log has exactly one entry per saved edit. Plus the SQLite settings
that make parallel writers wait for each other instead of failing with "database is locked"."""

import html
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import sqlalchemy as sa

from tests import factories
from tests.conftest import PASSWORD
from tracker import create_app
from tracker.agreements.models import Area
from tracker.audit import AuditEntry
from tracker.config import TestingConfig
from tracker.extensions import db
from tracker.sqlite import SQLITE_BUSY_TIMEOUT_MS

THREADS = 20
EDITS = 50
STORED_LABEL = "Giá trị người khác đã lưu:"
STALE = "Người dùng khác đã lưu bản ghi này trong lúc bạn đang chỉnh sửa."

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
_VERSION = re.compile(r'<input[^>]*name="version"[^>]*value="(\d+)"')
_TITLE = re.compile(r'<textarea[^>]*name="title"[^>]*>\s*(.*?)</textarea>', re.S)


def _csrf(page: str) -> str:
    match = _CSRF.search(page)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


def _version(page: str) -> int:
    match = _VERSION.search(page)
    assert match, "no version field on the form"
    return int(match.group(1))


def _sign_in(base: str, email: str) -> requests.Session:
    http = requests.Session()
    page = http.get(f"{base}/login", timeout=60).text
    response = http.post(
        f"{base}/login",
        data={"email": email, "password": PASSWORD, "csrf_token": _csrf(page)},
        allow_redirects=False,
        timeout=60,
    )
    assert response.status_code == 302, response.status_code
    return http


def test_conflicting_edits_are_saved_or_refused_never_lost(app, db, server_url):
    w = factories.world()
    area = w["qb"]["area"]
    area_id, first_version, email = area.id, area.version, w["qb"]["dic"].email
    url = f"{server_url}/areas/{area_id}/edit"
    start = threading.Barrier(THREADS)

    def editor(n: int) -> dict:
        http = _sign_in(server_url, email)
        page = http.get(url, timeout=60).text
        seen = _version(page)
        outcome = {"saved": [], "conflicts": 0, "other": [], "input_kept": True}
        start.wait()
        for i in range(EDITS):
            title = f"Lĩnh vực {n}-{i}"
            response = http.post(
                url,
                data={
                    "csrf_token": _csrf(page),
                    "version": seen,
                    "code": "I",
                    "title": title,
                    "position": "0",
                    "description": "",
                },
                allow_redirects=False,
                timeout=120,
            )
            if response.status_code == 302:
                outcome["saved"].append((seen, title))
                page = http.get(url, timeout=60).text
                seen = _version(page)
            elif response.status_code == 200 and STALE in html.unescape(response.text):
                outcome["conflicts"] += 1
                page = html.unescape(response.text)
                # The re-shown form keeps this editor's input next to what the other one saved,
                # and carries the stored version, so saving again is a deliberate overwrite.
                kept = _TITLE.search(page)
                if not (kept and kept.group(1) == title and STORED_LABEL in page):
                    outcome["input_kept"] = False
                seen = _version(page)
            else:
                outcome["other"].append(response.status_code)
        return outcome

    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = list(pool.map(editor, range(THREADS)))

    saved = [edit for o in outcomes for edit in o["saved"]]
    conflicts = sum(o["conflicts"] for o in outcomes)
    assert [code for o in outcomes for code in o["other"]] == []
    assert len(saved) + conflicts == THREADS * EDITS
    assert saved and conflicts, (len(saved), conflicts)
    assert all(o["input_kept"] for o in outcomes)
    # Each saved edit was made on a version nobody else had saved over.
    assert len({version for version, _title in saved}) == len(saved)

    db.session.expire_all()
    stored = db.session.get(Area, area_id)
    assert stored.version == first_version + len(saved)
    last = max(saved)
    assert stored.title == last[1]
    audited = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.entity_type == "Area",
            AuditEntry.entity_id == area_id,
            AuditEntry.action == "update",
        )
    ).all()
    assert len(audited) == len(saved)
    assert sorted(e.changes["title"][1] for e in audited) == sorted(t for _v, t in saved)


def test_simultaneous_sign_ins_of_one_account_all_succeed(app, db, server_url):
    w = factories.world()
    email = w["qb"]["dic"].email
    start = threading.Barrier(THREADS)

    def sign_in_and_open_home(_n):
        http = requests.Session()
        page = http.get(f"{server_url}/login", timeout=60).text
        start.wait()
        response = http.post(
            f"{server_url}/login",
            data={"email": email, "password": PASSWORD, "csrf_token": _csrf(page)},
            allow_redirects=False,
            timeout=120,
        )
        home = http.get(f"{server_url}/", allow_redirects=False, timeout=60)
        return response.status_code, home.status_code

    with ThreadPoolExecutor(THREADS) as pool:
        answers = list(pool.map(sign_in_and_open_home, range(THREADS)))
    # Every browser is signed in and stays signed in: one sign-in does not end the others.
    assert answers == [(302, 200)] * THREADS


# -- SQLite ------------------------------------------------------------------------------------
# These run on a SQLite file of their own, whichever database the rest of the suite uses.


@pytest.fixture
def sqlite_app(tmp_path):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'tracker.sqlite3'}"
        UPLOAD_FOLDER = str(tmp_path / "files")

    application = create_app(Config)
    with application.app_context():
        db.engine.dispose()
        yield application
        db.session.remove()
        db.engine.dispose()


def test_sqlite_runs_with_wal_foreign_keys_and_a_busy_timeout(sqlite_app):
    with db.engine.connect() as conn:
        pragma = lambda name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("foreign_keys") == 1
        assert pragma("busy_timeout") == SQLITE_BUSY_TIMEOUT_MS


def _increment_in_parallel(engine, read_then_write, threads=8, rounds=25):
    """Run `read_then_write(conn, counter)` in one transaction per round on several threads at
    once; returns the errors raised and the counter's final value."""
    meta = sa.MetaData()
    counter = sa.Table("concurrency_counter", meta, sa.Column("n", sa.Integer, nullable=False))
    meta.create_all(engine)
    try:
        with engine.begin() as conn:
            conn.execute(counter.insert().values(n=0))
        start, errors = threading.Barrier(threads), []

        def worker():
            start.wait()
            try:
                with engine.connect() as conn:
                    for _ in range(rounds):
                        with conn.begin():
                            read_then_write(conn, counter)
            except sa.exc.OperationalError as exc:
                errors.append(str(exc.orig))

        pool = [threading.Thread(target=worker) for _ in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        with engine.connect() as conn:
            return errors, conn.execute(sa.select(counter.c.n)).scalar()
    finally:
        meta.drop_all(engine)


def _locked_increment(conn, counter):
    current = conn.execute(sa.select(counter.c.n).with_for_update()).scalar()
    conn.execute(counter.update().values(n=current + 1))


def test_read_modify_write_under_a_lock_loses_no_update(app, db):
    """`select(...).with_for_update()` then an update, from 8 threads at once: no increment is
    lost. On PostgreSQL the row lock does it; on SQLite the locking read starts the write
    transaction (BEGIN IMMEDIATE), so the read and the write are one unit there too."""
    errors, final = _increment_in_parallel(db.engine, _locked_increment)
    assert errors == []
    assert final == 8 * 25


def test_sqlite_writers_wait_for_each_other_instead_of_failing(sqlite_app):
    """A transaction that reads and then writes (here inside a savepoint, as SQLAlchemy's
    `begin_nested` does) while others commit: with SQLite's default deferred transactions, its
    write fails at once with "database is locked" (its read snapshot is stale, and the busy
    timeout does not apply). Write transactions start with BEGIN IMMEDIATE, so each one waits
    its turn and all succeed."""

    def nested(conn, counter):
        with conn.begin_nested():
            current = conn.execute(sa.select(counter.c.n)).scalar()
            conn.execute(counter.update().values(n=current + 1))

    errors, final = _increment_in_parallel(db.engine, nested)
    assert errors == []
    assert final == 8 * 25


def test_sqlite_a_read_does_not_block_a_writer(sqlite_app):
    """Reads are not write transactions: a page being read while someone saves does not hold up
    the save (WAL: readers and the writer do not wait for each other)."""
    with db.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (n INTEGER)")
    with db.engine.connect() as reader, db.engine.connect() as writer:
        reader.begin()
        reader.exec_driver_sql("SELECT count(*) FROM t").scalar()
        with writer.begin():
            writer.exec_driver_sql("INSERT INTO t VALUES (1)")
        assert reader.exec_driver_sql("SELECT count(*) FROM t").scalar() in (0, 1)
        reader.rollback()
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar() == 1
