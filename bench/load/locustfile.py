"""Locust users for the tracker's load test. Started by bench/load/run.py, which prepares the
database and passes the plan (accounts, agreement codes, free report slots, generated PDFs) in
the file named by LOAD_PLAN; acknowledged submissions and 5xx answers go to LOAD_RESULTS.

Three kinds of users, each signed in with an account of its own (through the real sign-in form,
CSRF token included):

* ReporterUser (VNPT of the commitments' lead unit): takes a free (commitment, period) slot of
  an open period, saves a draft report, attaches 1 MB of PDF evidence and submits the report.
* LeaderUser (provincial leadership): downloads a generated five-year review PDF, and now and
  then generates a new one (POST /agreements/<code>/reports).
* ViewerUser (DIC): the home page, the overview and agreement dashboards.

Every answer is checked: a status other than the expected one, an error flash or a page without
the expected content counts as a failure, so `--exit-code-on-error 1` reflects them all."""

import hashlib
import html
import itertools
import json
import os
import re
import secrets
import threading
from html.parser import HTMLParser

from locust import HttpUser, between, events, task

PLAN = json.loads(open(os.environ["LOAD_PLAN"], encoding="utf-8").read())  # noqa: SIM115
RESULTS_PATH = os.environ.get("LOAD_RESULTS")
EVIDENCE_SIZE = 1024 * 1024

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
REPORT_URL = re.compile(r"/reports/(\d+)(?:$|[?#])")
ERROR_FLASH = re.compile(r'class="alert alert-danger"[^>]*>([^<]*)<')

_slots = iter(PLAN["slots"])
_slots_lock = threading.Lock()
_counters: dict[str, itertools.count] = {}
#: Counted here as well as in locust's statistics, which stop at the end of the run time while
#: the users finish their current task (--stop-timeout).
results = {
    "acknowledged": [],
    "unknown": [],
    "requests": 0,
    "failures": [],
    "server_errors": 0,
    "upload_bytes": 0,
}


def next_slot():
    with _slots_lock:
        return next(_slots, None)


def next_account(kind: str) -> str:
    """Each simulated user signs in with an account of its own (there are enough of them)."""
    counter = _counters.setdefault(kind, itertools.count())
    accounts = PLAN["accounts"][kind]
    return accounts[next(counter) % len(accounts)]


def pdf_of_exactly(size: int, label: str) -> bytes:
    """A valid one-page PDF (correct cross-reference table) padded to exactly `size` bytes by an
    uncompressed stream object full of random bytes, so every upload is a distinct file."""
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R"
        b"/Resources<</Font<</F1 5 0 R>>>>>>",
        None,  # the page content, below
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
        None,  # the padding stream, sized last
    ]
    text = f"BT /F1 14 Tf 72 760 Td (Minh chung tai tai - {label}) Tj ET".encode("ascii")
    objects[3] = b"<</Length %d>>stream\n" % len(text) + text + b"\nendstream"

    def build(pad: int) -> bytes:
        filler = secrets.token_bytes(pad)
        objects[5] = b"<</Length %d>>stream\n" % pad + filler + b"\nendstream"
        out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(objects, start=1):
            offsets.append(len(out))
            out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
        for offset in offsets:
            out += b"%010d 00000 n \n" % offset
        out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (
            len(objects) + 1,
            xref,
        )
        return bytes(out)

    pad = size - len(build(0))
    for _ in range(4):  # the digits of the lengths and offsets grow with the padding
        data = build(pad)
        if len(data) == size:
            return data
        pad += size - len(data)
    raise AssertionError("could not size the PDF")


class FormFields(HTMLParser):
    """The successful controls of every <form method=post> on a page (inputs, selected options,
    text areas with their current values), as a browser would submit them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, str]] = []
        self._form: dict[str, str] | None = None
        self._select = self._textarea = None
        self._chosen: set[str] = set()
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self._form = {}
            self.forms.append(self._form)
            self._chosen = set()
            return
        if self._form is None:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self._form[name] = a.get("value") or ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select:
            # The selected option, else the first one.
            if "selected" in a or self._select not in self._chosen:
                self._form[self._select] = a.get("value") or ""
                self._chosen.add(self._select)
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_data(self, data):
        if self._textarea:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea and self._form is not None:
            self._form[self._textarea] = "".join(self._text).lstrip("\r\n")
            self._textarea = None
        elif tag == "form":
            self._form = None


def form_fields(page: str, having: str) -> dict[str, str] | None:
    """The fields of the page's POST form that has a control named `having`."""
    parser = FormFields()
    parser.feed(page)
    return next((form for form in parser.forms if having in form), None)


def csrf_of(page: str) -> str | None:
    match = CSRF.search(page)
    return html.unescape(match.group(1)) if match else None


@events.request.add_listener
def _count(request_type=None, name=None, response=None, exception=None, **_kw):
    results["requests"] += 1
    if exception is not None:
        results["failures"].append(f"{request_type} {name}: {exception}"[:300])
    if response is not None and (getattr(response, "status_code", 0) or 0) >= 500:
        results["server_errors"] += 1


@events.quitting.add_listener
def _write_results(environment, **_kw):
    if RESULTS_PATH:
        with open(RESULTS_PATH, "w", encoding="utf-8") as out:
            json.dump(results, out)


class TrackerUser(HttpUser):
    abstract = True
    wait_time = between(0.5, 2.0)
    kind = ""

    def on_start(self):
        self.email = next_account(self.kind)
        with self.client.get("/login", name="sign-in: form", catch_response=True) as answer:
            token = csrf_of(answer.text)
            if answer.status_code != 200 or not token:
                answer.failure(f"no sign-in form (HTTP {answer.status_code})")
                return
        with self.client.post(
            "/login",
            data={"csrf_token": token, "email": self.email, "password": PLAN["password"]},
            name="sign-in: post",
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            if answer.status_code != 302 or "/login" in answer.headers.get("Location", ""):
                answer.failure(f"sign-in refused for {self.email} (HTTP {answer.status_code})")

    def page(self, url: str, name: str, expect: str | None = None) -> str | None:
        """GET a page that must answer 200 (and contain `expect`)."""
        with self.client.get(url, name=name, catch_response=True) as answer:
            if answer.status_code != 200:
                answer.failure(f"HTTP {answer.status_code}")
                return None
            if "/login" in answer.url:
                answer.failure("signed out")
                return None
            if expect and expect not in answer.text:
                answer.failure(f"{expect!r} not on the page")
                return None
            return answer.text

    def dashboards(self):
        self.page("/", "dashboard: /")
        self.page("/dashboard", "dashboard: /dashboard")
        for code in PLAN["dashboard_agreements"]:
            self.page(
                f"/agreements/{code}/dashboard",
                "dashboard: /agreements/[code]/dashboard",
                expect=code,
            )


class ReporterUser(TrackerUser):
    """VNPT staff of the lead unit reporting with evidence."""

    kind = "vnpt"
    weight = 4

    @task(4)
    def submit_report(self):
        slot = next_slot()
        if slot is None:
            return  # every slot used: the plan has far more than a 60 s run needs
        commitment_id, period_id, indicator_id = (
            slot["commitment"],
            slot["period"],
            slot["indicator"],
        )
        url = f"/commitments/{commitment_id}/reports/{period_id}"
        page = self.page(url, "report: form", expect='name="percent_complete"')
        if page is None:
            return
        fields = form_fields(page, "percent_complete")
        fields.update(
            percent_complete="40",
            completion="limited",
            spent_vnd="1.500.000.000",
            narrative="Đã triển khai tại 12/47 xã; khó khăn: thiếu mặt bằng trạm BTS. Tiếp theo: "
            "hoàn thành lắp đặt trong quý tới.",
            action="save",
        )
        fields[f"v_{indicator_id}"] = "12,5"
        fields[f"vn_{indicator_id}"] = "Báo cáo của VNPT Quảng Trị"
        with self.client.post(
            url, data=fields, name="report: save draft", allow_redirects=False, catch_response=True
        ) as answer:
            match = REPORT_URL.search(answer.headers.get("Location", ""))
            if answer.status_code != 302 or not match:
                error = ERROR_FLASH.search(answer.text or "")
                answer.failure(
                    f"draft not saved (HTTP {answer.status_code}"
                    f"{': ' + error.group(1) if error else ''})"
                )
                return
        report_id = int(match.group(1))
        page = self.page(f"/reports/{report_id}", "report: page", expect="badge-report-draft")
        if page is None:
            return
        token = csrf_of(page)
        title = f"Biên bản nghiệm thu {report_id}"
        evidence = pdf_of_exactly(EVIDENCE_SIZE, f"report {report_id}")
        with self.client.post(
            f"/reports/{report_id}/evidence",
            data={"csrf_token": token, "title": title, "kind": "other", "issued_on": ""},
            files={"file": (f"Biên bản nghiệm thu {report_id}.pdf", evidence, "application/pdf")},
            name="report: upload 1 MB evidence",
            catch_response=True,
        ) as answer:
            if (
                answer.status_code != 200
                or ERROR_FLASH.search(answer.text)
                or (html.escape(title) not in answer.text and title not in answer.text)
            ):
                answer.failure(f"evidence not attached (HTTP {answer.status_code})")
                return
            results["upload_bytes"] += len(evidence)
            version = re.search(
                rf'/reports/{report_id}/submit"[^>]*>.*?name="version" value="(\d+)"',
                answer.text,
                re.S,
            )
            token = csrf_of(answer.text)
        if version is None:
            return self._fail_soft("report: submit", "no submit form")
        sha = hashlib.sha256(evidence).hexdigest()
        try:
            with self.client.post(
                f"/reports/{report_id}/submit",
                data={"csrf_token": token, "version": version.group(1)},
                name="report: submit",
                catch_response=True,
            ) as answer:
                if (
                    answer.status_code == 200
                    and "badge-report-submitted" in answer.text
                    and not ERROR_FLASH.search(answer.text)
                ):
                    results["acknowledged"].append(
                        {
                            "report": report_id,
                            "commitment": commitment_id,
                            "period": period_id,
                            "evidence_sha256": sha,
                        }
                    )
                else:
                    answer.failure(f"not submitted (HTTP {answer.status_code})")
        except Exception:
            # No answer: whether the server committed is unknown; the check lists these.
            results["unknown"].append(report_id)
            raise

    def _fail_soft(self, name, message):
        self.environment.events.request.fire(
            request_type="POST",
            name=name,
            response_time=0,
            response_length=0,
            exception=AssertionError(message),
            context={},
        )

    @task(1)
    def look_around(self):
        self.page("/", "dashboard: /")
        self.page(
            f"/agreements/{PLAN['load_agreement']}/dashboard",
            "dashboard: /agreements/[code]/dashboard",
            expect=PLAN["load_agreement"],
        )


class LeaderUser(TrackerUser):
    """Provincial leadership reading the five-year review."""

    kind = "leader"
    weight = 2

    @task(5)
    def download_pdf(self):
        report_id = PLAN["pdfs"][secrets.randbelow(len(PLAN["pdfs"]))]
        with self.client.get(
            f"/generated/{report_id}.pdf", name="pdf: download", catch_response=True
        ) as answer:
            if answer.status_code != 200 or not answer.content.startswith(b"%PDF-"):
                answer.failure(f"no PDF (HTTP {answer.status_code})")

    @task(1)
    def generate_pdf(self):
        code = PLAN["pdf_agreement"]
        url = f"/agreements/{code}/reports"
        page = self.page(url, "pdf: form", expect='name="date_from"')
        if page is None:
            return
        fields = form_fields(page, "date_from")
        with self.client.post(
            url, data=fields, name="pdf: generate", allow_redirects=False, catch_response=True
        ) as answer:
            if answer.status_code != 302 or "#history" not in answer.headers.get("Location", ""):
                error = ERROR_FLASH.search(answer.text or "")
                answer.failure(
                    f"not generated (HTTP {answer.status_code}"
                    f"{': ' + error.group(1) if error else ''})"
                )

    @task(2)
    def look_around(self):
        self.dashboards()


class ViewerUser(TrackerUser):
    """DIC staff following the agreements."""

    kind = "dic"
    weight = 4

    @task
    def look_around(self):
        self.dashboards()
