"""Labels are declared once, next to the model: every recorded column and every audited model
has one, in Vietnamese; forms show the same word; the history of changes reads them (field
labels, record kinds, names of the records referred to) without knowing the features."""

import re
from datetime import date

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from tests import factories
from tests.conftest import text_of
from tracker.admin.forms import ProvinceForm, UnitForm, UserForm
from tracker.agreements import models as agreement_models
from tracker.agreements.forms import (
    AgreementForm,
    CommitmentForm,
    DirectiveForm,
    MeasurementForm,
    MilestoneForm,
)
from tracker.audit.recording import recorded
from tracker.auth import models as auth_models
from tracker.auth import tokens
from tracker.db import Base
from tracker.discussion import models as discussion_models  # noqa: F401  (Comment is audited)
from tracker.labels import kind_label, label_of
from tracker.org import models as org_models
from tracker.progress import models as progress_models
from tracker.progress.forms import ExtensionForm, ReopenForm, ReportForm
from tracker.reports import models as report_models
from tracker.reports.forms import ReviewForm

#: Every module that declares audited models is imported above, so the registry holds them all.
AUDITED = sorted(
    (m.class_ for m in Base.registry.mappers if getattr(m.class_, "__audited__", False)),
    key=lambda model: model.__name__,
)


def _is_vietnamese(label) -> bool:
    """Whether a label reads differently in Vietnamese than in English (it is translated)."""
    with force_locale("vi"):
        vi = str(label)
    with force_locale("en"):
        return vi != str(label)


def test_the_audited_models_are_all_found():
    names = {model.__name__ for model in AUDITED}
    assert {"Agreement", "Commitment", "Evidence", "Unit", "User", "ApiToken"} <= names
    assert {"GeneratedReport", "Extension", "ReportingPeriod", "Province"} <= names


@pytest.mark.parametrize("model", AUDITED, ids=lambda model: model.__name__)
def test_every_recorded_column_of_an_audited_model_has_a_vietnamese_label(model):
    mapper = sa.inspect(model)
    keys = [attr.key for attr in mapper.column_attrs if recorded(attr.key)]
    keys += getattr(model, "__audited_collections__", ())
    missing, untranslated = [], []
    for key in keys:
        try:
            label = label_of(getattr(model, key))
        except LookupError:
            missing.append(key)
            continue
        if not isinstance(label, str) and not _is_vietnamese(label):  # "SHA-256" is a name
            untranslated.append(key)
    assert missing == [] and untranslated == []


@pytest.mark.parametrize("model", AUDITED, ids=lambda model: model.__name__)
def test_every_audited_model_has_a_vietnamese_kind_label_and_a_real_display_column(model):
    assert _is_vietnamese(kind_label(model))
    display = getattr(model, "__display__", None)
    if display is not None:
        assert display in sa.inspect(model).columns


def test_a_missing_label_is_a_clear_error():
    with pytest.raises(LookupError, match="search_text"):
        label_of(agreement_models.Agreement.search_text)
    with pytest.raises(LookupError, match="LoginAttempt"):
        kind_label(auth_models.LoginAttempt)


a, p, o = agreement_models, progress_models, org_models


@pytest.mark.parametrize(
    ("form_class", "field", "attribute", "vietnamese"),
    [
        (AgreementForm, "vision_year", a.Agreement.vision_year, "Định hướng đến năm"),
        (AgreementForm, "description", a.Agreement.description, "Mục tiêu và ghi chú"),
        (CommitmentForm, "due_on", a.Commitment.due_on, "Hạn hoàn thành"),
        (CommitmentForm, "budget_vnd", a.Commitment.budget_vnd, "Kinh phí dự kiến"),
        (CommitmentForm, "support_unit_ids", a.Commitment.support_units, "Đơn vị phối hợp"),
        (MilestoneForm, "done_on", a.Milestone.done_on, "Ngày đạt"),
        (MeasurementForm, "measured_on", a.Measurement.measured_on, "Ngày của số liệu"),
        (DirectiveForm, "meeting", a.Directive.meeting, "Cuộc họp hoặc văn bản"),
        (ReportForm, "spent_vnd", p.ProgressReport.spent_vnd, "Kinh phí giải ngân trong kỳ"),
        (ExtensionForm, "requested_on", p.Extension.requested_on, "Hạn đề nghị"),
        (ReopenForm, "until", p.ReportingPeriod.reopened_until, "Nhận báo cáo đến ngày"),
        (ProvinceForm, "is_city", o.Province.is_city, "Thành phố trực thuộc trung ương"),
        (UnitForm, "kind", o.Unit.kind, "Loại đơn vị"),
        (UnitForm, "valid_to", o.Unit.valid_to, "Hiệu lực đến ngày"),
        (UserForm, "full_name", auth_models.User.full_name, "Họ và tên"),
        (ReviewForm, "kind", report_models.GeneratedReport.kind, "Loại báo cáo"),
    ],
    ids=lambda v: v.__name__ if isinstance(v, type) else v if isinstance(v, str) else None,
)
def test_a_form_field_is_labelled_as_the_column_it_edits(form_class, field, attribute, vietnamese):
    form = form_class(meta={"csrf": False})
    assert form[field].label.text == str(label_of(attribute)) == vietnamese


def test_the_history_names_records_and_kinds_as_the_models_declare(client, auth, db):
    """The audit log shows a unit's successor by name, its kind of change translated, a year as
    a year, hides an area's position, and offers every kind of record under its Vietnamese
    name."""
    w = factories.world()
    qb = w["qb"]
    branch = qb["branch"]
    branch.valid_to = date(2025, 6, 30)
    branch.successor = qb["other_branch"]
    branch.change_kind = org_models.ChangeKind.merged
    qb["area"].position = 7
    qb["area"].title = "Hạ tầng số"
    qb["agreement"].vision_year = 2035
    db.session.commit()
    auth.login(w["admin"].email)

    units = text_of(client.get("/admin/history?entity=Unit")).replace("\xa0", " ")
    assert "Đơn vị kế thừa : — → Trung tâm Kinh doanh VNPT Quảng Bình" in units
    assert "Hình thức thay đổi : — → sáp nhập vào" in units
    assert "Hiệu lực đến ngày : — → 30/06/2025" in units
    assert f"Đơn vị {branch.name} sửa đổi" in units and "merged" not in units
    assert "Đơn vị #" not in units  # a record is named, never shown by its database id

    agreements = text_of(client.get("/admin/history?entity=Agreement"))
    assert "Định hướng đến năm : — → 2035" in agreements  # a year, not 2.035
    assert "Định hướng đến năm : 2030 Trạng thái : Dự thảo" in agreements  # as created

    areas = text_of(client.get("/admin/history?entity=Area"))
    assert "Lĩnh vực Hạ tầng số sửa đổi" in areas and "→ Hạ tầng số" in areas
    assert "Lĩnh vực #" not in areas
    assert "Thứ tự hiển thị" not in areas and "position" not in areas

    page = client.get("/admin/history").get_data(as_text=True)
    kinds = dict(re.findall(r'<option value="([A-Za-z]+)"[^>]*>([^<]*)</option>', page))
    assert {key: kinds.get(key) for key in ("User", "ApiToken", "Measurement", "Unit")} == {
        "User": "Tài khoản",
        "ApiToken": "Mã truy cập API",
        "Measurement": "Số liệu chỉ tiêu",
        "Unit": "Đơn vị",
    }
    assert set(kinds) == {model.__name__ for model in AUDITED}


def test_the_kind_label_of_a_record_is_its_model_s():
    assert str(kind_label(tokens.ApiToken(name="CI"))) == str(kind_label(tokens.ApiToken))
