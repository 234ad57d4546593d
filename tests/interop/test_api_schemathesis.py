"""Schemathesis against the live API: the demo data, a real server on 127.0.0.1, an admin's
token; every phase (examples, coverage, fuzzing, stateful) and every check must pass.

One configuration choice: for schema-valid requests ("positive data") 422 is accepted as well as
the defaults. 422 is this API's answer to a business rule a JSON Schema cannot express (a date
met in the future, an indicator id of another commitment, a file whose content is not an
accepted type, "complete" with less than 100 %); the generator cannot know those rules."""

import logging
import threading
import time
from datetime import timedelta

import hypothesis.configuration
import pytest
import sqlalchemy as sa
from schemathesis.engine import Status, StopReason, events, from_schema
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.interop import with_interop
from tracker.auth.models import User
from tracker.clock import local_today
from tracker.extensions import db as _db
from tracker.interop.api.tokens import create_token
from tracker.progress.models import ReportingPeriod

schemathesis = pytest.importorskip("schemathesis")

pytestmark = pytest.mark.demo_data

#: The run is bounded by the examples per operation (a "max-time" would make schemathesis fuzz
#: until the time is up); a fixed seed makes it repeatable.
MAX_EXAMPLES = 20
SEED = 20250924


@pytest.fixture(scope="module")
def app(app):
    return with_interop(app)


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


@pytest.fixture(scope="module")
def live(app, demo):
    """The app served on a free port, with every reporting period open so reports can be
    written, and a token of the demo administrator."""

    with app.app_context():
        _db.session.execute(
            sa.update(ReportingPeriod).values(reopened_until=local_today() + timedelta(days=30))
        )
        admin = _db.session.scalar(sa.select(User).where(User.email == "admin@demo.vn"))
        _token, secret = create_token(admin, name="schemathesis", days=1)
        _db.session.commit()
        _db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", secret
    server.shutdown()
    thread.join(timeout=10)


def test_schemathesis_finds_nothing(live, tmp_path):

    base, secret = live
    hypothesis.configuration.set_hypothesis_home_dir(str(tmp_path / "hypothesis"))
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "headers": {"Authorization": f"Bearer {secret}"},
            "base-url": f"{base}/api/v1",
            "generation": {"max-examples": MAX_EXAMPLES, "database": "none"},
            "checks": {
                "positive_data_acceptance": {
                    "expected-statuses": ["2xx", "401", "403", "404", "409", "422"]
                }
            },
        }
    )
    schema = schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json", config=config)
    failures, errors, statuses = {}, [], {}
    operations, requests, finished = set(), 0, None
    started = time.monotonic()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
            recorder = event.recorder
            operations.add(recorder.label)
            for interaction in recorder.interactions.values():
                requests += 1
                if interaction.response is not None:
                    code = interaction.response.status_code
                    statuses[code] = statuses.get(code, 0) + 1
            for checks in recorder.checks.values():
                for check in checks:
                    if check.status == Status.FAILURE and check.failure_info is not None:
                        info = check.failure_info
                        key = (recorder.label, check.name, info.failure.title)
                        failures.setdefault(key, f"{info.failure.message}\n{info.code_sample}")
        elif isinstance(event, events.NonFatalError | events.FatalError):
            errors.append(str(getattr(event, "value", None) or getattr(event, "exception", "")))
        elif isinstance(event, events.EngineFinished):
            finished = event
            for failure in event.failures:
                failures.setdefault(("run", failure.title, ""), failure.message)
    elapsed = time.monotonic() - started
    summary = (
        f"{len(operations)} operations, {requests} requests in {elapsed:.0f}s, statuses "
        f"{dict(sorted(statuses.items()))}"
    )
    print(summary)
    report = "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())
    assert not failures, f"{summary}\n{report}"
    assert not errors, errors
    assert finished is not None and finished.stop_reason == StopReason.COMPLETED
    # A real run, not one refused wholesale (writes are also covered by tests/interop/test_api.py;
    # here they succeed only when generated ids happen to match a commitment and its period).
    assert requests > 300 and statuses.get(200, 0) > 50
