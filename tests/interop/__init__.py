"""Tests of import/export, Excel and the JSON API.

`with_interop` gives the test modules an app with the interop, API and token blueprints and the
export/import commands: the session app when the factory already registers them, otherwise a
fresh app on the same database (blueprints cannot be added to an app that has served requests).
"""

import contextvars
from datetime import timedelta

from flask import has_app_context
from flask.testing import FlaskClient

from tests import factories
from tracker import create_app
from tracker.agreements.models import AgreementStatus
from tracker.clock import local_today
from tracker.extensions import db
from tracker.interop.api.tokens import bp as tokens_bp
from tracker.interop.api.views import bp as api_bp
from tracker.interop.cli import export_command, import_command
from tracker.interop.views import bp as interop_bp
from tracker.progress import services

_fresh = {}


def end_transaction() -> None:
    """Commit the test's own transaction before the app works in another one: on SQLite a
    transaction may hold the write lock, which a request or command would wait for."""
    if has_app_context():
        db.session.commit()


class _IsolatedClient(FlaskClient):
    """Each request in a fresh context, as the suite's own client does, after the test's own
    transaction has ended."""

    def open(self, *args, **kwargs):
        end_transaction()
        return contextvars.Context().run(super().open, *args, **kwargs)


def client_for(app) -> FlaskClient:
    """A test client of `app` that isolates each request (see _IsolatedClient)."""
    return _IsolatedClient(app, app.response_class, use_cookies=True)


def register(app) -> None:
    """What the factory is asked to register (see the report of issue 5)."""

    app.register_blueprint(interop_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(tokens_bp)
    app.cli.add_command(export_command)
    app.cli.add_command(import_command)


def with_interop(base_app):
    """The app to test with (see the module docstring)."""
    if "api" in base_app.blueprints and "interop" in base_app.blueprints:
        return base_app
    if "app" not in _fresh:
        application = create_app(dict(base_app.config))
        application.test_client_class = _IsolatedClient
        register(application)
        _fresh["app"] = application
    return _fresh["app"]


def documented_only() -> dict:
    """A file with exactly the keys DESIGN §5 documents, nothing else."""
    return {
        "format": "tracker.agreement/v1",
        "agreement": {
            "code": "QT-VNPT-2025",
            "title": "Thỏa thuận hợp tác về chuyển đổi số giữa UBND tỉnh Quảng Trị và VNPT",
            "province": "quang-tri",
            "partner": "Tập đoàn Bưu chính Viễn thông Việt Nam (VNPT)",
            "signed_on": "2025-03-01",
            "period_start": "2025-03-01",
            "period_end": "2030-02-28",
            "vision_year": 2035,
            "status": "in_force",
            "legal_bases": ["Nghị quyết số 57-NQ/TW ngày 22/12/2024 của Bộ Chính trị"],
            "units": [
                {
                    "code": "SKHCN-QT",
                    "name": "Sở Khoa học và Công nghệ Quảng Trị",
                    "side": "province",
                },
                {"code": "VNPT-QT", "name": "VNPT Quảng Trị", "side": "vnpt"},
            ],
            "areas": [
                {
                    "code": "I",
                    "title": "Hạ tầng số",
                    "commitments": [
                        {
                            "code": "1.1",
                            "title": "Phủ sóng 4G/5G tại các xã biên giới",
                            "committed_by": "vnpt",
                            "lead_unit": "VNPT-QT",
                            "support_units": ["SKHCN-QT"],
                            "budget_vnd": 7_000_000_000,
                            "funding_source": "vnpt",
                            "due_on": "2026-12-31",
                            "milestones": [
                                {
                                    "title": "Lắp đặt 5 trạm BTS",
                                    "due_on": "2025-12-31",
                                    "done_on": None,
                                }
                            ],
                            "indicators": [
                                {
                                    "name": "Số xã có sóng 5G",
                                    "unit": "xã",
                                    "baseline": 0,
                                    "target": 20,
                                    "measurements": [
                                        {"on": "2025-06-30", "value": 4, "verified": True}
                                    ],
                                }
                            ],
                        }
                    ],
                }
            ],
            "directives": [
                {
                    "issued_on": "2025-04-01",
                    "issued_by": "Chủ tịch UBND tỉnh",
                    "text": "Sở KH&CN chủ trì theo dõi việc thực hiện thỏa thuận",
                    "assignee": "SKHCN-QT",
                    "due_on": "2025-06-30",
                    "done_on": None,
                }
            ],
        },
    }


def reporting_world() -> dict:
    """The two-province world of tests.factories with its agreements in force around today and
    their reporting periods (the `rw` fixture of tests/progress)."""

    w = factories.world()
    today = local_today()
    for key in ("qb", "vl"):
        agreement = w[key]["agreement"]
        agreement.period_start = today - timedelta(days=400)
        agreement.period_end = today + timedelta(days=3 * 365)
        agreement.signed_on = agreement.period_start
        agreement.status = AgreementStatus.in_force
        w[key]["milestone"].due_on = today + timedelta(days=60)
        db.session.flush()
        periods = services.generate_periods(agreement)
        w[key]["periods"] = periods
        w[key]["current"] = next(p for p in periods if p.starts_on <= today <= p.deadline_on)
        w[key]["old"] = next(p for p in periods if p.deadline_on < today)
    db.session.commit()
    return w
