"""Crash test: gunicorn serving real writes (indicator values and evidence uploads through the
HTML forms, CSRF included) is killed with SIGKILL mid-way and restarted. The database passes its
integrity check, every acknowledged write is there, every evidence row has its file with a
matching SHA-256, and `tracker gc` removes the orphan files."""

import hashlib
import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from tests.ops import (
    assert_consistent,
    close,
    database,
    make_app,
    pdf_bytes,
    png_bytes,
    sha256_file,
)
from tracker import storage
from tracker.agreements.models import Agreement, Commitment, Indicator, Measurement
from tracker.demo.loader import DATA
from tracker.extensions import db
from tracker.progress.models import Evidence, ProgressReport, ReportStatus

BIN = Path(sys.executable).parent
DEMO_EMAIL = "dic.quangtri@demo.vn"
#: Bounds on each wait, so a hung server fails the test instead of stalling the suite (the
#: whole test takes about 10 s).
START_TIMEOUT = 30
WRITE_SECONDS = 10


class Client:
    """A minimal HTTP client with a cookie jar; redirects are returned, not followed."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.token = None

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            headers = dict(headers or {})
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            cookie_value = rest.split(";", 1)[0]
            if "max-age=0" in value.lower() or "1970" in value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = cookie_value
        return response.status, response.headers, data

    def fetch_token(self, path):
        status, _, body = self.request("GET", path)
        assert status == 200, (path, status)
        field = re.search(rb'<input[^>]*name="csrf_token"[^>]*>', body).group(0)
        self.token = re.search(rb'value="([^"]+)"', field).group(1).decode()

    def post_form(self, path, fields):
        body = urlencode({**fields, "csrf_token": self.token})
        return self.request(
            "POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"}
        )

    def post_file(self, path, fields, name, content, filename):
        boundary = uuid.uuid4().hex
        parts = []
        for key, value in {**fields, "csrf_token": self.token}.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
            + content
            + b"\r\n"
        )
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request(
            "POST",
            path,
            b"".join(parts),
            {"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )

    def sign_in(self, email, password, form_page):
        self.fetch_token("/login")
        status, _, _ = self.post_form("/login", {"email": email, "password": password})
        assert status == 302, status
        self.fetch_token(form_page)


class Server:
    """gunicorn in its own process group, so SIGKILL takes the master and workers at once."""

    def __init__(self, env, log: Path):
        self.env, self.log = env, log
        self.port = _free_port()
        self.proc = None

    def start(self):
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [
                    str(BIN / "gunicorn"),
                    "--workers",
                    "2",
                    # One import in the master, forked: quicker starts (no connection is opened
                    # before the fork).
                    "--preload",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--timeout",
                    "30",
                    "tracker:create_app()",
                ],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"gunicorn exited: {self.log.read_text()[-2000:]}")
            try:
                if Client(self.port).request("GET", "/login")[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        pytest.fail("gunicorn did not start")

    def kill(self):
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _targets(app):
    """Indicators the demo DIC user may record values for, and a draft report to upload to."""

    with app.app_context():
        indicators = db.session.scalars(
            sa.select(Indicator.id)
            .join(Commitment)
            .join(Agreement)
            .where(Agreement.code == "QB-VNPT-2020")
            .order_by(Indicator.id)
            .limit(3)
        ).all()
        report = db.session.scalar(
            sa.select(ProgressReport.id).where(ProgressReport.status == ReportStatus.draft)
        )
        db.session.remove()
    password = json.loads((DATA / "reference.json").read_text())["demo_password"]
    return indicators, report, password


def test_sigkill_mid_writes_loses_nothing_acknowledged(tmp_path):
    folder = tmp_path / "files"
    folder.mkdir()
    with database(tmp_path, "ops_crash") as url:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "TEST_"))},
            "DATABASE_URL": url,
            "UPLOAD_FOLDER": str(folder),
            "SECRET_KEY": uuid.uuid4().hex * 2,
            "TRACKER_ENV": "development",
        }
        app = make_app(url, folder)
        # The same commands as `tracker db upgrade` and `tracker demo`, run in this process
        # (where the suite's fast password hashing applies).
        for args in (["db", "upgrade"], ["demo"]):
            with app.app_context():
                result = app.test_cli_runner().invoke(args=args)
            assert result.exit_code == 0, result.output
        try:
            _crash_and_check(app, env, url, folder, tmp_path)
        finally:
            close(app)


def _crash_and_check(app, env, url, folder, tmp_path):
    indicators, report_id, password = _targets(app)
    assert indicators and report_id
    server = Server(env, tmp_path / "gunicorn.log")
    server.start()
    try:
        acked_values, acked_evidence, problems = _write_until_killed(
            server, indicators, report_id, password
        )
        # What an upload cut off mid-way leaves, made deliberately so gc has work for certain:
        # a stored file no row references, and a stale temporary file.
        orphan = pdf_bytes("crash-orphan")
        orphan_path = folder / storage_name(orphan)
        orphan_path.parent.mkdir(exist_ok=True)
        orphan_path.write_bytes(orphan)
        stale = folder / ".upload-crashtest"
        stale.write_bytes(b"half an upload")
        os.utime(stale, (time.time() - 7200, time.time() - 7200))

        server.start()
        assert not problems, problems
        assert len(acked_values) >= 10 and len(acked_evidence) >= 2, (
            len(acked_values),
            len(acked_evidence),
        )
        _check_database(app)
        _check_writes(app, acked_values, acked_evidence)
        _check_evidence_files(app)

        # The restarted server takes writes again.
        client = Client(server.port)
        client.sign_in(DEMO_EMAIL, password, f"/indicators/{indicators[0]}/measurements/new")
        status, _, _ = client.post_form(
            f"/indicators/{indicators[0]}/measurements/new",
            {"measured_on": "1980-01-01", "value": "1", "verified": "y", "note": "after"},
        )
        assert status == 302

        with app.app_context():
            result = app.test_cli_runner().invoke(args=["gc", "--min-age", "0"])
        assert result.exit_code == 0, result.output
        assert f"removed unreferenced {orphan_path.relative_to(folder)}" in result.output
        assert "removed temporary .upload-crashtest" in result.output
        assert not orphan_path.exists() and not stale.exists()
        _check_evidence_files(app)  # gc left every referenced file in place
    finally:
        server.stop()


def _errors(body: bytes) -> list[str]:
    """The error messages of a re-shown form, for the failure report."""
    found = re.findall(rb'<div class="alert[^"]*"[^>]*>(.*?)</div>', body, re.S)
    found += re.findall(rb'<p class="error"[^>]*>(.*?)</p>', body, re.S)
    return [" ".join(re.sub(rb"<[^>]+>", b" ", m).decode(errors="replace").split()) for m in found]


def storage_name(content: bytes) -> str:
    """Where the storage keeps a file with this content, relative to UPLOAD_FOLDER."""
    sha = hashlib.sha256(content).hexdigest()
    return f"{sha[:2]}/{sha}"


def _write_until_killed(server, indicators, report_id, password):
    """Writer threads record values and upload evidence; the server is killed at a random
    moment once enough writes were acknowledged. Returns what was acknowledged."""
    acked_values, acked_evidence, problems = [], [], []
    lock = threading.Lock()
    killed = threading.Event()

    # Sign in one after the other: concurrent sign-ins of one account are not what is tested.
    clients = []
    for _ in range(len(indicators) + 2):
        client = Client(server.port)
        client.sign_in(DEMO_EMAIL, password, f"/indicators/{indicators[0]}/measurements/new")
        clients.append(client)

    def values(n, indicator_id):
        client = clients[n]
        page = f"/indicators/{indicator_id}/measurements/new"
        day = date(1900, 1, 1)
        i = 0
        while not killed.is_set():
            note = f"crash-{n}-{i}"
            try:
                status, headers, body = client.post_form(
                    page,
                    {
                        "measured_on": day.isoformat(),
                        "value": str(i),
                        "verified": "y",
                        "note": note,
                    },
                )
            except (OSError, http.client.HTTPException):
                return  # the server is gone
            if status == 302 and "/commitments/" in headers["Location"]:
                with lock:
                    acked_values.append(note)
            elif not killed.is_set():
                with lock:
                    problems.append((note, status, _errors(body)))
                return
            day += timedelta(days=1)
            i += 1

    def uploads(n):
        client = clients[len(indicators) + n]
        i = 0
        while not killed.is_set():
            title = f"crash-evidence-{n}-{i}"
            if i % 3 == 2:
                content, filename = png_bytes(n * 1000 + i), f"{title}.png"
            else:
                content, filename = pdf_bytes(title, 300_000), f"{title}.pdf"
            try:
                status, headers, _ = client.post_file(
                    f"/reports/{report_id}/evidence",
                    {"title": title, "kind": "other", "issued_on": ""},
                    "file",
                    content,
                    filename,
                )
            except (OSError, http.client.HTTPException):
                return
            if status == 302 and headers["Location"].endswith(f"/reports/{report_id}#evidence"):
                with lock:
                    acked_evidence.append(title)
            elif not killed.is_set():
                with lock:
                    problems.append((title, status))
                return
            i += 1

    def guarded(work, *args):
        try:
            work(*args)
        except Exception as exc:  # reported by the test
            with lock:
                problems.append(repr(exc))

    # One thread per indicator: two writers on one indicator may meet its optimistic lock.
    threads = [
        threading.Thread(target=guarded, args=(values, n, indicator))
        for n, indicator in enumerate(indicators)
    ]
    threads += [threading.Thread(target=guarded, args=(uploads, n)) for n in range(2)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + WRITE_SECONDS
    while time.monotonic() < deadline and not problems:
        with lock:
            if len(acked_values) >= 15 and len(acked_evidence) >= 4:
                break
        time.sleep(0.05)
    time.sleep(random.uniform(0, 0.3))  # noqa: S311  (any moment will do)
    killed.set()
    server.kill()
    for thread in threads:
        thread.join(30)
    with lock:
        return list(acked_values), list(acked_evidence), list(problems)


def _check_database(app):
    """Integrity (SQLite) and every foreign key pointing at a row."""
    with app.app_context(), db.engine.connect() as conn:
        assert_consistent(conn, db.engine.url)


def _check_writes(app, acked_values, acked_evidence):

    with app.app_context():
        notes = set(
            db.session.scalars(sa.select(Measurement.note).where(Measurement.note.like("crash-%")))
        )
        titles = set(
            db.session.scalars(sa.select(Evidence.title).where(Evidence.title.like("crash-%")))
        )
        db.session.remove()
    assert set(acked_values) <= notes, sorted(set(acked_values) - notes)
    assert set(acked_evidence) <= titles, sorted(set(acked_evidence) - titles)


def _check_evidence_files(app):

    with app.app_context():
        rows = db.session.execute(sa.select(Evidence.sha256, Evidence.thumbnail_sha256)).all()
        bad = []
        for sha, thumb in rows:
            for expected in filter(None, (sha, thumb)):
                path = storage.path_for(expected)
                if not path.is_file() or sha256_file(path) != expected:
                    bad.append(expected)
        db.session.remove()
    assert rows and not bad, bad
