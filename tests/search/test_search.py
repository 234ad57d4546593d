"""The global search, on whichever database the suite runs on: diacritics and case ignored
(đ too), the user's scope, former provinces and units found by their successor's name, ranking,
highlighting that escapes, pagination, the index following every change, and reindex."""

from datetime import date

import pytest
import sqlalchemy as sa

from tests import factories
from tests.conftest import text_of
from tracker.agreements.models import Milestone
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.org.models import ChangeKind, Side, UnitKind
from tracker.progress.models import Evidence
from tracker.search.index import words
from tracker.search.models import SearchDocument
from tracker.search.queries import PER_PAGE, search


@pytest.fixture
def w():
    return factories.world()


def _titles(user, q, page=1):
    return [str(r.title.striptags()) for r in search(user, q, page=page).items]


def _merge_quang_binh_into_quang_tri(w):
    """Quảng Bình and its VNPT branch end on 30/6/2025 and pass to Quảng Trị's."""
    qt = factories.province("Quảng Trị", code="prov-qt")
    qt_branch = factories.unit(
        qt, side=Side.vnpt, kind=UnitKind.vnpt_branch, code="VNPT-qt", name="VNPT Quảng Trị"
    )
    qb = w["qb"]["province"]
    qb.valid_to, qb.successor, qb.change_kind = date(2025, 6, 30), qt, ChangeKind.merged
    branch = w["qb"]["branch"]
    branch.valid_to, branch.successor, branch.change_kind = (
        date(2025, 6, 30),
        qt_branch,
        ChangeKind.merged,
    )
    db.session.commit()
    return qt


def test_words_fold_case_diacritics_and_d():
    assert words("Phòng họp KHÔNG giấy, Đắk Lắk; QB-VNPT-2015") == [
        "phong", "hop", "khong", "giay", "dak", "lak", "qb", "vnpt", "2015",
    ]  # fmt: skip


def test_query_without_diacritics_finds_vietnamese_text(w):
    factories.commitment(
        w["qb"]["area"], w["qb"]["branch"], title="Triển khai hệ thống phòng họp không giấy"
    )
    db.session.commit()
    assert _titles(w["admin"], "phong hop khong giay") == [
        "Triển khai hệ thống phòng họp không giấy"
    ]
    assert _titles(w["admin"], "PHÒNG HỌP") == ["Triển khai hệ thống phòng họp không giấy"]


def test_d_folds_to_d(w):
    factories.milestone(w["vl"]["commitment"], title="Nghiệm thu tại Đắk Lắk và Điện Biên")
    db.session.commit()
    assert _titles(w["admin"], "dak lak") == ["Nghiệm thu tại Đắk Lắk và Điện Biên"]
    assert _titles(w["admin"], "DIEN BIEN") == ["Nghiệm thu tại Đắk Lắk và Điện Biên"]


@pytest.mark.parametrize("kind", ["agreement", "commitment", "milestone", "indicator", "directive"])
def test_every_kind_of_record_is_found_and_links_to_it(w, kind):
    record = w["qb"][kind]
    text = "Số hóa hồ sơ địa chính"
    setattr(
        record, "name" if kind == "indicator" else "text" if kind == "directive" else "title", text
    )
    db.session.commit()
    [result] = search(w["admin"], "so hoa ho so dia chinh").items
    assert result.agreement.code == "QB-2020"
    expected = {
        "agreement": "/agreements/QB-2020",
        "commitment": f"/commitments/{w['qb']['commitment'].id}",
        "milestone": f"/commitments/{w['qb']['commitment'].id}#milestones",
        "indicator": f"/commitments/{w['qb']['commitment'].id}#indicators",
        "directive": f"/directives/{w['qb']['directive'].id}",
    }
    assert result.url == expected[kind]


def test_evidence_titles_are_found(w):
    db.session.add(
        Evidence(
            directive=w["qb"]["directive"],
            title="Biên bản nghiệm thu Trung tâm điều hành thông minh",
            file_name="bien-ban.pdf",
            sha256="0" * 64,
            size=10,
            content_type="application/pdf",
        )
    )
    db.session.commit()
    [result] = search(w["admin"], "bien ban nghiem thu").items
    assert result.label == "Minh chứng"
    assert result.url == f"/directives/{w['qb']['directive'].id}"


def test_a_user_finds_only_what_their_scope_holds(w):
    qt = _merge_quang_binh_into_quang_tri(w)
    qt_dic_unit = factories.unit(qt, kind=UnitKind.dic, code="DIC-qt", name="Sở KH&CN Quảng Trị")
    qt_dic = factories.user(Role.dic, qt_dic_unit)
    w["qb"]["commitment"].title = "Phòng họp không giấy Quảng Bình"
    w["vl"]["commitment"].title = "Phòng họp không giấy Vĩnh Long"
    db.session.commit()
    # Vĩnh Long's people find nothing of Quảng Trị (nor of Quảng Bình, which it carries on).
    for user in (w["vl"]["dic"], w["vl"]["vnpt"], w["vl"]["leader"]):
        assert search(user, "quang tri").total == 0
        assert search(user, "quang binh").total == 0
        assert _titles(user, "phong hop khong giay") == ["Phòng họp không giấy Vĩnh Long"]
    # Quảng Trị's DIC reads the Quảng Bình agreements it carries on; admins read everything.
    assert _titles(qt_dic, "phong hop khong giay") == ["Phòng họp không giấy Quảng Bình"]
    assert len(_titles(w["admin"], "phong hop khong giay")) == 2


def test_former_province_found_by_its_own_and_its_successors_name(w):
    _merge_quang_binh_into_quang_tri(w)
    for q in ("quang tri", "quang binh"):
        results = search(w["admin"], q).items
        assert results[0].label == "Thỏa thuận" and results[0].agreement.code == "QB-2020", q
        assert "VL-2020" not in {r.agreement.code for r in results}


def test_former_unit_found_by_its_successors_name(w):
    _merge_quang_binh_into_quang_tri(w)
    w["qb"]["commitment"].title = "Cáp quang đến trung tâm các xã"
    db.session.commit()
    # The commitment is led by VNPT Quảng Bình, carried on by VNPT Quảng Trị.
    assert "Cáp quang đến trung tâm các xã" in _titles(w["admin"], "vnpt quang tri cap")
    assert "Cáp quang đến trung tâm các xã" in _titles(w["admin"], "vnpt quang binh cap")


def test_ranking_title_then_text_then_names_then_place(w):
    qb_area = w["qb"]["area"]
    branch = w["qb"]["branch"]
    # "đô thị thông minh" in a description only, in a title, and as the phrase vs. scattered.
    factories.commitment(qb_area, branch, title="Hạ tầng", description="Đô thị thông minh")
    factories.commitment(qb_area, branch, title="Xây dựng đô thị thông minh")
    factories.commitment(qb_area, branch, title="Thông minh hóa đô thị")
    db.session.commit()
    assert _titles(w["admin"], "do thi thong minh") == [
        "Xây dựng đô thị thông minh",  # the phrase, in the title
        "Hạ tầng",  # the phrase, in the text
        "Thông minh hóa đô thị",  # the words, not as a phrase
    ]


def test_highlighting_marks_the_words_and_escapes_the_rest(w, client, auth):
    w["qb"]["commitment"].title = '<script>alert("x")</script> Đào tạo & bồi dưỡng'
    db.session.commit()
    auth.login("admin@example.vn")
    html = client.get("/search?q=dao+tao").get_data(as_text=True)
    assert (
        "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; <mark>Đào</mark> <mark>tạo</mark> &amp; bồi"
        in html
    )
    assert "<script>alert" not in html


def test_results_are_paginated(w, client, auth):
    for n in range(PER_PAGE + 5):
        factories.milestone(w["qb"]["commitment"], title=f"Lắp đặt trạm BTS số {n}")
    db.session.commit()
    first = search(w["admin"], "lap dat tram bts")
    second = search(w["admin"], "lap dat tram bts", page=2)
    assert first.total == PER_PAGE + 5 and len(first.items) == PER_PAGE
    assert len(second.items) == 5
    assert not {str(r.title) for r in first.items} & {str(r.title) for r in second.items}
    auth.login("admin@example.vn")
    page = text_of(client.get("/search?q=lap+dat+tram+bts&page=2"))
    assert f"{PER_PAGE + 5} kết quả" in page and "Trang 2/2" in page
    assert client.get("/search?q=lap+dat&page=x").status_code == 404


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("", "Gõ vài từ"),
        ("a", "Nhập ít nhất 2 chữ cái hoặc chữ số để tìm kiếm."),
        ("   ...  ", "Nhập ít nhất 2 chữ cái hoặc chữ số để tìm kiếm."),
        ("khongcogi", "Không tìm thấy kết quả nào cho “khongcogi”"),
    ],
)
def test_empty_short_or_fruitless_query_says_so(w, client, auth, q, message):
    auth.login("dic.qb@example.vn")
    response = client.get("/search", query_string={"q": q})
    assert response.status_code == 200
    assert message in text_of(response)


def test_search_needs_sign_in_and_the_header_offers_it(w, client, auth):
    assert client.get("/search?q=vnpt").status_code == 302
    assert 'role="search"' not in client.get("/login").get_data(as_text=True)
    auth.login("vnpt.qb@example.vn")
    home = client.get("/").get_data(as_text=True)
    assert 'action="/search"' in home and 'name="q"' in home


def test_the_index_follows_changes_and_deletions(w):
    commitment = w["qb"]["commitment"]
    commitment.title = "Chữ ký số cho cán bộ"
    db.session.commit()
    assert _titles(w["admin"], "chu ky so") == ["Chữ ký số cho cán bộ"]
    commitment.title = "Hóa đơn điện tử"
    db.session.commit()
    assert _titles(w["admin"], "chu ky so") == []
    assert _titles(w["admin"], "hoa don dien tu") == ["Hóa đơn điện tử"]
    db.session.delete(db.session.get(Milestone, w["qb"]["milestone"].id))
    db.session.commit()
    assert search(w["admin"], "hoan thanh lap dat").total == 1  # Vĩnh Long's is left
    # A province renamed: its agreements are found by the new name.
    w["vl"]["province"].name = "Vĩnh Long mới"
    db.session.commit()
    assert {r.agreement.code for r in search(w["admin"], "vinh long moi").items} == {"VL-2020"}


def test_reindex_rebuilds_the_index(app, w):
    db.session.execute(sa.delete(SearchDocument))
    db.session.commit()
    assert search(w["admin"], "mot cua dien tu").total == 0
    result = app.test_cli_runner().invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "Search index rebuilt" in result.output
    assert search(w["admin"], "mot cua dien tu").total == 2


def test_a_typo_finds_close_titles_on_postgresql_only(w, client, auth):
    """PostgreSQL's trigrams find a title close to a misspelt query when no record holds its
    words; SQLite's FTS5 has no such index and says that nothing was found."""
    w["qb"]["commitment"].title = "Trung tâm giám sát an toàn thông tin"
    db.session.commit()
    found = search(w["admin"], "trung tam giam sat an toan thong tinn")
    auth.login("admin@example.vn")
    page = text_of(client.get("/search?q=trung+tam+giam+sat+an+toan+thong+tinn"))
    if db.engine.dialect.name == "postgresql":
        assert found.close and [r.title.striptags() for r in found.items] == [
            "Trung tâm giám sát an toàn thông tin"
        ]
        assert "Không hồ sơ nào chứa đúng các từ này; 1 hồ sơ có tiêu đề gần giống" in page
    else:
        assert found.total == 0
        assert "Không tìm thấy kết quả nào" in page
