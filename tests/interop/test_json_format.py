"""The tracker.agreement/v1 format: schema, import of a file holding only the documented keys,
lossless round trips (demo data and generated data), updates in one transaction, dry runs, and
every kind of bad input refused with a precise message and nothing written."""

import copy
import json
import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from jsonschema import Draft202012Validator

from tests import factories
from tests.conftest import _truncate
from tests.interop import documented_only, with_interop
from tracker.agreements.models import (
    Agreement,
    AgreementStatus,
    Area,
    Commitment,
    Completion,
    Direction,
    Directive,
    FundingSource,
    Indicator,
    Measurement,
    Milestone,
    MilestoneStatus,
    StatusChange,
)
from tracker.auth.models import Role
from tracker.demo.loader import DATA, load_demo
from tracker.errors import InvalidValue
from tracker.extensions import db as _db
from tracker.interop import json as jf
from tracker.org.models import Province, Side, Unit, UnitKind
from tracker.progress.models import ProgressReport, ReportingPeriod


@pytest.fixture(scope="module")
def app(app):
    return with_interop(app)


def counts() -> dict:
    """How many rows the tables an import touches hold."""
    models = (Province, Unit, Agreement, Area, Commitment, Milestone, Indicator, Measurement)
    return {
        m.__name__: _db.session.scalar(sa.select(sa.func.count()).select_from(m))
        for m in (*models, Directive, StatusChange)
    }


def export_all() -> list[dict]:
    agreements = _db.session.scalars(
        sa.select(Agreement).order_by(Agreement.period_start, Agreement.code)
    ).all()
    return [jf.export_agreement(a) for a in agreements]


def reimport_into_empty_database(documents: list[dict]) -> list[dict]:
    """Empty every table, import the documents through their JSON text, export again."""
    _db.session.remove()
    _truncate()
    for document in documents:
        jf.run_import(jf.load_json(jf.document_bytes(document)))
        _db.session.commit()
    _db.session.remove()
    return export_all()


# -- schema and the documented keys -------------------------------------------------------------


def test_the_schema_is_valid_draft_2020_12():
    Draft202012Validator.check_schema(jf.schema())
    assert jf.schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_a_file_with_only_the_documented_keys_imports(db):
    summary = jf.run_import(documented_only())
    db.session.commit()
    assert summary.created
    assert summary.counts["province"]["create"] == 1
    assert summary.counts["unit"]["create"] == 2
    agreement = db.session.scalar(sa.select(Agreement).where(Agreement.code == "QT-VNPT-2025"))
    assert agreement.province.code == "quang-tri"
    assert {u.code for u in agreement.units} == {"SKHCN-QT", "VNPT-QT"}
    commitment = agreement.areas[0].commitments[0]
    assert commitment.budget_vnd == 7_000_000_000
    assert commitment.lead_unit.side == Side.vnpt
    assert [m.value for m in commitment.indicators[0].measurements] == [Decimal("4")]
    # Everything documented comes back the same.
    exported = jf.export_agreement(agreement)["agreement"]
    source = documented_only()["agreement"]
    for key in ("code", "title", "province", "partner", "signed_on", "period_start"):
        assert exported[key] == source[key]
    assert exported["units"] == source["units"]
    area, area_in = exported["areas"][0], source["areas"][0]
    c_out, c_in = area["commitments"][0], area_in["commitments"][0]
    for key, value in c_in.items():
        if key not in ("milestones", "indicators"):
            assert c_out[key] == value, key
    assert c_out["milestones"][0]["title"] == "Lắp đặt 5 trạm BTS"
    assert c_out["indicators"][0]["measurements"][0] == {
        "on": "2025-06-30",
        "value": 4,
        "verified": True,
        "note": None,
    }
    assert exported["directives"][0]["assignee"] == "SKHCN-QT"


def test_every_export_is_valid_against_the_schema(db):
    jf.run_import(documented_only())
    w = factories.world()
    for agreement in (w["qb"]["agreement"], w["vl"]["agreement"]):
        jf.validate_document(jf.export_agreement(agreement))
    for document in export_all():
        jf.validate_document(document)


# -- round trips ---------------------------------------------------------------------------------


def test_round_trip_of_the_demo_data(db):

    load_demo()
    db.session.commit()
    before = export_all()
    assert len(before) == 4
    after = reimport_into_empty_database(before)
    assert after == before


def test_importing_an_export_again_changes_nothing(db):

    load_demo()
    db.session.commit()
    for document in export_all():
        summary = jf.run_import(document, dry_run=True)
        assert summary.changes == [], summary.lines()
        assert not summary.created


ROMAN = ["I", "II", "III", "IV", "V"]
TRICKY = [
    '=HYPERLINK("http://example.com","bấm vào đây")',
    "+84 912 345 678",
    "-5% chi phí so với dự toán",
    "@VNPT thông báo",
    'Dòng có "ngoặc kép"\nvà xuống dòng',
]
#: One-line text (codes, names, titles) keeps no line break: the tricky texts that fit on a line.
TRICKY_LINE = [t for t in TRICKY if "\n" not in t]


def generated_agreements(seed: int) -> list[Agreement]:
    """Two agreements (the second renews the first) with random areas, commitments, units,
    milestones, indicators, measurements, directives and status history."""
    rng = random.Random(seed)
    province = factories.province("Quảng Trị", code=f"gen-{seed}")
    units = [
        factories.unit(
            province, code=f"G{seed}-P{i}", name=f"Sở ngành {i} — {rng.choice(TRICKY_LINE)}"
        )
        for i in range(3)
    ] + [
        factories.unit(
            province if i else None,
            side=Side.vnpt,
            kind=UnitKind.vnpt_branch,
            code=f"G{seed}-V{i}",
            name=f"VNPT đơn vị {i}",
        )
        for i in range(2)
    ]
    result, predecessor = [], None
    for n in range(2):
        start = date(2015 + 5 * n, 1 + rng.randrange(12), 1 + rng.randrange(28))
        signed = rng.random() < 0.8
        agreement = factories.agreement(
            province,
            code=f"GEN-{seed}-{n}",
            title=f"Thỏa thuận sinh ngẫu nhiên {seed}/{n} {rng.choice(TRICKY_LINE)}",
            status=AgreementStatus.closed if n == 0 else AgreementStatus.in_force,
            period_start=start,
            period_end=start + timedelta(days=5 * 365),
            vision_year=rng.choice([None, 2030, 2035]),
            signed_on=start if signed else None,
            legal_bases=[f"Quyết định số {rng.randrange(1, 999)}/QĐ-UBND" for _ in range(3)],
            description=rng.choice([None, "Mô tả: " + rng.choice(TRICKY)]),
            province_signatory=rng.choice([None, "Chủ tịch UBND tỉnh"]),
            predecessor=predecessor,
        )
        agreement.status_changes = [
            StatusChange(from_status=None, to_status=AgreementStatus.draft, changed_on=start),
            StatusChange(
                from_status=AgreementStatus.draft,
                to_status=AgreementStatus.in_force,
                changed_on=start + timedelta(days=30),
                note=rng.choice([None, "Ký kết"]),
            ),
        ][: rng.randrange(3)]
        for i in range(rng.randint(1, 4)):
            area = factories.area(
                agreement,
                code=ROMAN[i],
                title=f"Lĩnh vực {i} {rng.choice(TRICKY_LINE)}",
                position=i,
            )
            for j in range(rng.randint(0, 4)):
                lead = rng.choice(units)
                others = [u for u in units if u is not lead]
                commitment = factories.commitment(
                    area,
                    lead,
                    code=f"{i + 1}.{j + 1}",
                    title=f"Cam kết {i}.{j}: {rng.choice(TRICKY_LINE)}",
                    support_units=rng.sample(others, rng.randint(0, 2)),
                    position=j,
                    budget_vnd=rng.choice([None, 0, rng.randrange(10**13)]),
                    funding_source=rng.choice([None, *FundingSource]),
                    due_on=rng.choice([None, start + timedelta(days=rng.randrange(2000))]),
                    priority=rng.random() < 0.3,
                    completion=rng.choice(list(Completion)),
                    description=rng.choice([None, rng.choice(TRICKY)]),
                )
                for k in range(rng.randint(0, 3)):
                    done = rng.random() < 0.5
                    factories.milestone(
                        commitment,
                        title=f"Mốc {k} {rng.choice(TRICKY_LINE)}",
                        due_on=start + timedelta(days=rng.randrange(2000)),
                        done_on=start + timedelta(days=rng.randrange(2000)) if done else None,
                        status=MilestoneStatus.met if done else MilestoneStatus.scheduled,
                    )
                for k in range(rng.randint(0, 2)):
                    baseline = Decimal(rng.randrange(0, 50))
                    indicator = factories.indicator(
                        commitment,
                        name=f"Chỉ tiêu {k} {rng.choice(TRICKY_LINE)}",
                        unit=rng.choice(["%", "xã", "trạm BTS"]),
                        baseline=baseline,
                        target=baseline + Decimal(rng.randrange(1, 100)) + Decimal("0.25"),
                        position=k,
                        target_on=rng.choice([None, start + timedelta(days=1500)]),
                        direction=Direction.increase,
                    )
                    for m in range(rng.randint(0, 3)):
                        _db.session.add(
                            Measurement(
                                indicator=indicator,
                                measured_on=start + timedelta(days=90 * (m + 1)),
                                value=Decimal(rng.randrange(0, 10**6)) / Decimal(1000),
                                verified=rng.random() < 0.5,
                                note=rng.choice([None, rng.choice(TRICKY)]),
                            )
                        )
        for k in range(rng.randint(0, 3)):
            factories.directive(
                agreement,
                rng.choice(units),
                text=f"Chỉ đạo {k}: {rng.choice(TRICKY)}",
                issued_on=start + timedelta(days=10 * k),
                meeting=rng.choice([None, "Họp BCĐ CNTT tỉnh"]),
                due_on=rng.choice([None, start + timedelta(days=400)]),
                done_on=rng.choice([None, start + timedelta(days=300)]),
            )
        agreement.units = rng.sample(units, rng.randint(1, len(units)))
        predecessor = agreement
        result.append(agreement)
    _db.session.commit()
    return result


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_round_trip_of_generated_data(db, seed):
    generated_agreements(seed)
    before = export_all()
    assert len(before) == 2
    after = reimport_into_empty_database(before)
    assert after == before


# -- updates, dry runs, deletions ---------------------------------------------------------------


def test_importing_an_existing_code_updates_it(db):
    jf.run_import(documented_only())
    db.session.commit()
    document = documented_only()
    document["agreement"]["title"] = "Tên mới"
    commitments = document["agreement"]["areas"][0]["commitments"]
    commitments[0]["budget_vnd"] = 8_000_000_000
    commitments.append({**copy.deepcopy(commitments[0]), "code": "1.2", "title": "Cam kết mới"})
    document["agreement"]["directives"] = []
    summary = jf.run_import(document)
    db.session.commit()
    assert not summary.created
    assert summary.counts["agreement"] == {"create": 0, "update": 1, "delete": 0}
    assert summary.counts["commitment"] == {"create": 1, "update": 1, "delete": 0}
    assert summary.counts["directive"] == {"create": 0, "update": 0, "delete": 1}
    update = next(c for c in summary.changes if c.kind == "commitment" and c.action == "update")
    assert update.fields == {"budget_vnd": [7_000_000_000, 8_000_000_000]}
    agreement = db.session.scalar(sa.select(Agreement).where(Agreement.code == "QT-VNPT-2025"))
    assert agreement.title == "Tên mới"
    assert [c.code for c in agreement.areas[0].commitments] == ["1.1", "1.2"]
    assert agreement.directives == []


def test_an_update_is_one_transaction(db):
    jf.run_import(documented_only())
    db.session.commit()
    before = counts()
    document = documented_only()
    document["agreement"]["title"] = "Không được ghi"
    document["agreement"]["areas"][0]["commitments"][0]["budget_vnd"] = 1
    # The mistake comes last: everything before it must be rolled back too.
    document["agreement"]["directives"][0]["assignee"] = "NOT-THERE"
    with pytest.raises(
        InvalidValue, match=r"agreement\.directives\[0\]\.assignee: đơn vị 'NOT-THERE' không có"
    ):
        jf.run_import(document)
    db.session.rollback()
    agreement = db.session.scalar(sa.select(Agreement).where(Agreement.code == "QT-VNPT-2025"))
    assert agreement.title.startswith("Thỏa thuận hợp tác")
    assert agreement.areas[0].commitments[0].budget_vnd == 7_000_000_000
    assert counts() == before


def test_dry_run_reports_the_changes_and_writes_nothing(db):
    jf.run_import(documented_only())
    db.session.commit()
    before = counts()
    document = documented_only()
    document["agreement"]["title"] = "Tên thử"
    document["agreement"]["areas"].append({"code": "II", "title": "Nguồn nhân lực"})
    summary = jf.run_import(document, dry_run=True)
    assert summary.dry_run
    assert summary.counts == {
        "agreement": {"create": 0, "update": 1, "delete": 0},
        "area": {"create": 1, "update": 0, "delete": 0},
    }
    title = next(c for c in summary.changes if c.kind == "agreement").fields["title"]
    assert title[1] == "Tên thử"
    assert any("would update" in line for line in summary.lines())
    assert counts() == before
    agreement = db.session.scalar(sa.select(Agreement).where(Agreement.code == "QT-VNPT-2025"))
    assert agreement.title != "Tên thử"


def test_a_new_file_in_dry_run_creates_nothing(db):
    summary = jf.run_import(documented_only(), dry_run=True)
    assert summary.created and summary.counts["commitment"]["create"] == 1
    assert counts()["Agreement"] == 0 and counts()["Province"] == 0


def test_a_commitment_moves_to_a_later_area(db):
    jf.run_import(documented_only())
    db.session.commit()
    document = documented_only()
    moved = document["agreement"]["areas"][0].pop("commitments")
    document["agreement"]["areas"].append({"code": "II", "title": "Khác", "commitments": moved})
    summary = jf.run_import(document)
    db.session.commit()
    assert summary.counts["commitment"] == {"create": 0, "update": 1, "delete": 0}
    commitment = db.session.scalar(sa.select(Commitment).where(Commitment.code == "1.1"))
    assert commitment.area.code == "II"


def test_an_import_never_deletes_what_reports_refer_to(db):

    w = factories.world()
    agreement = w["qb"]["agreement"]
    period = ReportingPeriod(
        agreement_id=agreement.id,
        kind=agreement.reporting_frequency,
        year=2020,
        number=1,
        starts_on=date(2019, 12, 15),
        ends_on=date(2020, 3, 14),
        deadline_on=date(2020, 3, 20),
    )
    db.session.add(period)
    db.session.flush()
    db.session.add(ProgressReport(commitment=w["qb"]["commitment"], period=period))
    db.session.commit()
    document = jf.export_agreement(agreement)
    document["agreement"]["areas"][0]["commitments"] = []
    with pytest.raises(InvalidValue) as refused:
        jf.run_import(document)
    assert str(refused.value).startswith("agreement.areas[0].commitments: Cam kết '1.1 ")
    assert "không có trong tệp nhưng đang được báo cáo tiến độ" in str(refused.value)
    assert db.session.get(Commitment, w["qb"]["commitment"].id) is not None


# -- permissions of imports from the app ---------------------------------------------------------


def test_imports_from_the_app_follow_the_permissions(db):
    w = factories.world()
    document = jf.export_agreement(w["qb"]["agreement"])
    document["agreement"]["title"] = "Sửa bởi người ngoài"
    for user in (w["vl"]["dic"], w["qb"]["vnpt"], w["qb"]["leader"]):
        with pytest.raises(InvalidValue, match="QB-2020"):
            jf.run_import(copy.deepcopy(document), user=user)
    summary = jf.run_import(copy.deepcopy(document), user=w["qb"]["dic"], dry_run=True)
    assert summary.counts["agreement"]["update"] == 1
    # Only an administrator may bring in a province the system does not know.
    with pytest.raises(InvalidValue):
        jf.run_import(documented_only(), user=w["qb"]["dic"])
    assert jf.run_import(documented_only(), user=w["admin"], dry_run=True).created
    assert w["admin"].role == Role.admin


# -- bad input ------------------------------------------------------------------------------------


def _mutate(change):
    document = documented_only()
    change(document["agreement"])
    return jf.document_bytes(document)


def _commitment(a):
    return a["areas"][0]["commitments"][0]


# The reasons are in the user's language: Vietnamese, the default (English: test_views).
BAD_FILES = {
    "malformed JSON": (
        b'{"format": "tracker.agreement/v1", "agreement": {"code": ',
        "tệp: JSON sai cú pháp ở dòng 1, cột 58: thiếu giá trị",
    ),
    "not UTF-8": (
        b'{"format": "tracker.agreement/v1", "x": "\xff"}',
        "tệp: không phải văn bản UTF-8 (byte không hợp lệ ở vị trí 41)",
    ),
    "NaN": (
        b'{"format": "tracker.agreement/v1", "agreement": NaN}',
        "tệp: JSON sai cú pháp: NaN không phải là số JSON",
    ),
    "not an object": (
        b"[1, 2, 3]",
        "format: không phải tệp của hệ thống theo dõi (cần định dạng 'tracker.agreement/v1', "
        'tệp không có khóa "format")',
    ),
    "wrong format value": (
        jf.document_bytes({**documented_only(), "format": "tracker.agreement/v2"}),
        "format: không phải tệp của hệ thống theo dõi (cần định dạng 'tracker.agreement/v1', "
        "tệp ghi 'tracker.agreement/v2')",
    ),
    "unknown agreement status": (
        _mutate(lambda a: a.update(status="approved")),
        "agreement.status: giá trị 'approved' không hợp lệ (cho phép: draft, under_review",
    ),
    "unknown side": (
        _mutate(lambda a: _commitment(a).update(committed_by="both")),
        "agreement.areas[0].commitments[0].committed_by: giá trị 'both' không hợp lệ",
    ),
    "unknown funding source": (
        _mutate(lambda a: _commitment(a).update(funding_source="lottery")),
        "agreement.areas[0].commitments[0].funding_source: giá trị 'lottery' không hợp lệ",
    ),
    "impossible date": (
        _mutate(lambda a: a.update(signed_on="2020-02-30")),
        "agreement.signed_on: '2020-02-30' không phải ngày hợp lệ; phải là ngày theo dạng "
        "YYYY-MM-DD",
    ),
    "impossible milestone date": (
        _mutate(lambda a: _commitment(a)["milestones"][0].update(due_on="2021-13-01")),
        "agreement.areas[0].commitments[0].milestones[0].due_on: '2021-13-01' không phải ngày "
        "hợp lệ",
    ),
    "date in another format": (
        _mutate(lambda a: a.update(period_start="01/03/2025")),
        "agreement.period_start: '01/03/2025' không phải ngày hợp lệ",
    ),
    "negative VND": (
        _mutate(lambda a: _commitment(a).update(budget_vnd=-5)),
        "agreement.areas[0].commitments[0].budget_vnd: không được âm (-5)",
    ),
    "fractional VND": (
        _mutate(lambda a: _commitment(a).update(budget_vnd=1500.5)),
        "agreement.areas[0].commitments[0].budget_vnd: phải là số nguyên đồng (không có phần "
        "thập phân), không phải 1500.5",
    ),
    "VND as text": (
        _mutate(lambda a: _commitment(a).update(budget_vnd="7.000.000.000")),
        "budget_vnd: phải là số nguyên đồng (không có phần thập phân), không phải '7.000.000.000'",
    ),
    "priority as text": (
        _mutate(lambda a: _commitment(a).update(priority="có")),
        'agreement.areas[0].commitments[0].priority: phải là true hoặc false, không phải "có"',
    ),
    "title too long": (
        _mutate(lambda a: a.update(title="x" * 501)),
        "agreement.title: dài quá 500 ký tự",
    ),
    "lead unit not in the file": (
        _mutate(lambda a: _commitment(a).update(lead_unit="VNPT-HUE")),
        "agreement.areas[0].commitments[0].lead_unit: đơn vị 'VNPT-HUE' không có trong "
        "agreement.units",
    ),
    "supporting unit not in the file": (
        _mutate(lambda a: _commitment(a).update(support_units=["SO-TC"])),
        "agreement.areas[0].commitments[0].support_units[0]: đơn vị 'SO-TC' không có trong",
    ),
    "duplicated unit code": (
        _mutate(lambda a: a["units"].append(dict(a["units"][0]))),
        "agreement.units[2].code: mã đơn vị 'SKHCN-QT' bị trùng",
    ),
    "duplicated area code": (
        _mutate(lambda a: a["areas"].append({"code": "I", "title": "Lặp"})),
        "agreement.areas[1].code: mã lĩnh vực 'I' bị trùng (đã có ở agreement.areas[0].code)",
    ),
    "duplicated commitment code": (
        _mutate(
            lambda a: a["areas"].append(
                {"code": "II", "title": "Khác", "commitments": [copy.deepcopy(_commitment(a))]}
            )
        ),
        "agreement.areas[1].commitments[0].code: mã cam kết '1.1' bị trùng (đã có ở "
        "agreement.areas[0].commitments[0].code)",
    ),
    "missing required key": (
        _mutate(lambda a: a.pop("title")),
        "agreement.title: bắt buộc",
    ),
    # The service's rule, worded as the form words it, at the JSON path.
    "end before start": (
        _mutate(lambda a: a.update(period_end="2024-01-01")),
        "agreement.period_end: Ngày kết thúc phải sau ngày bắt đầu.",
    ),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_files_are_refused_precisely_and_nothing_is_written(db, case):
    w = factories.world()
    data, expected = BAD_FILES[case]
    before = counts()
    with pytest.raises(InvalidValue) as refused:
        jf.run_import(jf.load_json(data))
    db.session.rollback()
    assert expected in str(refused.value)
    assert counts() == before
    assert db.session.get(Agreement, w["qb"]["agreement"].id).title == w["qb"]["agreement"].title


def test_every_schema_problem_is_listed_with_its_path(db):
    document = documented_only()
    document["agreement"]["status"] = "approved"
    _commitment(document["agreement"])["budget_vnd"] = -1
    _commitment(document["agreement"])["due_on"] = "2026-02-29"
    with pytest.raises(jf.DocumentError) as refused:
        jf.run_import(document)
    assert refused.value.errors == [
        "agreement.areas[0].commitments[0].budget_vnd: không được âm (-1)",
        "agreement.areas[0].commitments[0].due_on: '2026-02-29' không phải ngày hợp lệ; phải là "
        "ngày theo dạng YYYY-MM-DD",
        "agreement.status: giá trị 'approved' không hợp lệ (cho phép: draft, under_review, "
        "signed, in_force, closed)",
    ]
    assert counts()["Agreement"] == 0


def test_files_over_10_mb_are_refused_before_parsing():
    data = b'{"format": "tracker.agreement/v1", "pad": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    with pytest.raises(jf.DocumentError, match=r"tệp: lớn quá 10 MB \(10\.485\.805 byte\)"):
        jf.load_json(data)
    # A 50 MB file of garbage is refused the same way: the size is checked first.
    with pytest.raises(jf.DocumentError, match="tệp: lớn quá 10 MB"):
        jf.load_json(b"\x00" * (50 * 1024 * 1024))


def test_the_demo_files_validate():

    for path in sorted((DATA / "agreements").glob("*.json")):
        jf.validate_document(json.loads(path.read_text(encoding="utf-8")))


# -- the rules of the forms hold for a file ---------------------------------------------------------


def _vl_file(w, change) -> dict:
    """The Vĩnh Long agreement as exported, with a change made to it."""
    document = jf.export_agreement(w["vl"]["agreement"])
    change(document["agreement"], w)
    return document


def _refusal(document, user) -> str:
    before = counts()
    with pytest.raises(InvalidValue) as refused:
        jf.run_import(document, user=user)
    _db.session.rollback()
    assert counts() == before, "nothing is half-saved"
    return str(refused.value)


def test_a_predecessor_of_another_province_reads_as_not_found(db):
    """The refusal is the same whether the code exists in another province or nowhere."""
    w = factories.world()
    vl_title = w["vl"]["agreement"].title
    elsewhere = _refusal(
        _vl_file(w, lambda a, w: a.update(predecessor="QB-2020", title="Đổi")), w["vl"]["dic"]
    )
    nowhere = _refusal(
        _vl_file(w, lambda a, w: a.update(predecessor="XX-2020", title="Đổi")), w["vl"]["dic"]
    )
    assert elsewhere == "agreement.predecessor: không tìm thấy thỏa thuận 'QB-2020'"
    assert nowhere == elsewhere.replace("QB-2020", "XX-2020")
    agreement = _db.session.get(Agreement, w["vl"]["agreement"].id)
    assert agreement.predecessor is None and agreement.title == vl_title
    # The command line (no user) follows the same rule: provinces do not renew each other's.
    assert _refusal(_vl_file(w, lambda a, w: a.update(predecessor="QB-2020")), None) == elsewhere


def _other_province_unit(where):
    def change(a, w):
        a["units"].append({"code": "VNPT-qb", "name": "VNPT Quảng Bình", "side": "vnpt"})
        commitment = a["areas"][0]["commitments"][0]
        if where == "lead_unit":
            commitment["lead_unit"] = "VNPT-qb"
        elif where == "support_units":
            commitment["support_units"] = [*commitment["support_units"], "VNPT-qb"]
        elif where == "assignee":
            a["directives"][0]["assignee"] = "VNPT-qb"

    return change


@pytest.mark.parametrize(
    ("where", "path"),
    [
        ("lead_unit", "agreement.areas[0].commitments[0].lead_unit"),
        ("support_units", "agreement.areas[0].commitments[0].support_units[1]"),
        ("assignee", "agreement.directives[0].assignee"),
        ("units", "agreement.units[3].code"),
    ],
)
def test_a_unit_of_another_province_reads_as_not_found(db, where, path):
    w = factories.world()
    message = _refusal(_vl_file(w, _other_province_unit(where)), w["vl"]["dic"])
    assert message == f"{path}: không tìm thấy đơn vị 'VNPT-qb'"
    commitment = _db.session.get(Commitment, w["vl"]["commitment"].id)
    assert commitment.lead_unit.code == "VNPT-vl"
    assert "VNPT-qb" not in {u.code for u in commitment.agreement.units}


@pytest.mark.parametrize("who", ["vnpt", "leader", "other province"])
def test_only_those_who_may_edit_the_agreement_import_it(db, who):
    w = factories.world()
    user = w["vl"][who] if who != "other province" else w["qb"]["dic"]
    document = _vl_file(w, lambda a, w: a.update(title="Sửa qua tệp"))
    message = _refusal(document, user)
    assert message == "Bạn không có quyền thay đổi thỏa thuận VL-2020."


def test_a_closed_agreement_is_not_changed_by_a_file(db):
    w = factories.world()
    w["vl"]["agreement"].status = AgreementStatus.closed
    _db.session.commit()
    document = _vl_file(w, lambda a, w: a["areas"][0].update(title="Đổi tên"))
    assert _refusal(document, w["vl"]["dic"]) == "Không thể thay đổi thỏa thuận đã kết thúc."
    # Nor by the command line: the state rule holds for everyone.
    assert _refusal(copy.deepcopy(document), None) == "Không thể thay đổi thỏa thuận đã kết thúc."


def test_an_indicator_target_below_its_baseline_is_refused_as_the_form_does(db):
    w = factories.world()

    def change(a, w):
        indicator = a["areas"][0]["commitments"][0]["indicators"][0]
        indicator.update(baseline=50, target=10, direction="increase")

    message = _refusal(_vl_file(w, change), w["vl"]["dic"])
    assert message == (
        "agreement.areas[0].commitments[0].indicators[0].target: Mục tiêu của chỉ tiêu tăng "
        "không được thấp hơn giá trị cơ sở."
    )


def test_control_characters_are_cleaned_as_every_entry_point_cleans_them(db):
    document = documented_only()
    document["agreement"]["partner"] = "VN\u0000PT"
    document["agreement"]["title"] = "Thỏa thuận\tmới\nhai dòng"
    document["agreement"]["description"] = "Dòng một\r\nDòng hai\u0007"
    jf.run_import(document)
    db.session.commit()
    agreement = db.session.scalar(sa.select(Agreement).where(Agreement.code == "QT-VNPT-2025"))
    assert agreement.partner == "VN PT"  # in one-line text a control character is a space
    assert agreement.title == "Thỏa thuận mới hai dòng"
    assert agreement.description == "Dòng một\nDòng hai"
    # The export of what was stored imports back without a change.
    again = jf.run_import(jf.load_json(jf.document_bytes(jf.export_agreement(agreement))))
    assert again.changes == []
