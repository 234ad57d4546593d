"""Vietnamese alphabetical order (ICU's `vi` collation) in Python and in the database, the same
on both; the lists of names use it; the current provinces carry their official names."""

import json
import random

import sqlalchemy as sa

from tests import factories
from tests.conftest import text_of
from tracker.agreements.queries import provinces_in_scope
from tracker.audit import AuditEntry
from tracker.auth.models import Role
from tracker.collation import by_name, sort_key
from tracker.demo.loader import DATA, load_reference
from tracker.org.models import Province

#: The issue's order: a ă â b c d đ e ê …, tones after letters.
ORDER = ["Cà Mau", "Cần Thơ", "Đà Nẵng", "Đắk Lắk", "Điện Biên", "Gia Lai", "Hà Nội", "Huế"]
#: More of the alphabet: A before Ă before Â, D before Đ, O Ô Ơ, U Ư, tones after the letter.
MORE = ["An Giang", "Ân Thi", "Bạc Liêu", "Bình Định", "Cà Mau", "Dak Lak", "Đà Nẵng", "Điện Biên"]
MORE += ["Hà Nội", "Hòa Bình", "Hội An", "Hơn", "Huế", "Hưng Yên", "Thái Bình", "Thanh Hóa"]


def _shuffled(names):
    names = list(names)
    random.Random(7).shuffle(names)
    return names


def test_python_sort_key_gives_vietnamese_order():
    assert sorted(_shuffled(ORDER), key=sort_key) == ORDER
    assert sorted(_shuffled(MORE), key=sort_key) == MORE
    assert sorted(ORDER) != ORDER  # Python's own order puts every Đ after Z


def test_database_order_is_the_same_as_pythons(db):
    names = _shuffled(MORE)
    for n, name in enumerate(names):
        factories.province(name, code=f"p-{n}")
    db.session.commit()
    in_sql = db.session.scalars(sa.select(Province.name).order_by(by_name(Province.name))).all()
    assert in_sql == MORE == sorted(names, key=sort_key)


def test_lists_of_names_are_in_vietnamese_order(db, client, auth):
    for n, name in enumerate(_shuffled(ORDER)):
        factories.province(name, code=f"p-{n}")
    admin = factories.user(Role.admin, None, email="admin@example.vn")
    db.session.commit()
    assert [p.name for p in provinces_in_scope(admin)] == ORDER
    auth.login("admin@example.vn")
    page = text_of(client.get("/admin/provinces"))
    positions = [page.index(name) for name in ORDER]
    assert positions == sorted(positions)
    form = client.get("/agreements/new").get_data(as_text=True)
    positions = [form.index(f">{name}<") for name in ORDER]
    assert positions == sorted(positions)


def test_current_provinces_carry_their_official_names(db):
    reference = json.loads((DATA / "reference.json").read_text(encoding="utf-8"))
    load_reference(reference)
    db.session.commit()
    by_code = {p.code: p for p in db.session.scalars(sa.select(Province))}
    assert by_code["ho-chi-minh"].name == "Thành phố Hồ Chí Minh"
    assert by_code["hue"].name == "Thành phố Huế"
    assert by_code["hue"].full_name == "thành phố Huế"
    assert by_code["quang-tri"].full_name == "tỉnh Quảng Trị"
    # Thừa Thiên Huế is the former province, carried on by Thành phố Huế.
    assert by_code["thua-thien-hue"].current().name == "Thành phố Huế"
    assert not [p.name for p in by_code.values() if p.valid_to is None and "TP." in p.name]


def test_renaming_to_the_official_name_keeps_the_former_name_in_history(db):
    reference = json.loads((DATA / "reference.json").read_text(encoding="utf-8"))
    old = json.loads(json.dumps(reference))
    for p in old["provinces"]:
        if p["code"] == "ho-chi-minh":
            p["name"] = "Hồ Chí Minh"
    load_reference(old)
    db.session.commit()
    load_reference(reference)  # `tracker demo` on a database loaded before the rename
    db.session.commit()
    hcm = db.session.scalar(sa.select(Province).where(Province.code == "ho-chi-minh"))
    changes = db.session.scalars(
        sa.select(AuditEntry.changes).where(
            AuditEntry.entity_type == "Province",
            AuditEntry.entity_id == hcm.id,
            AuditEntry.action == "update",
        )
    ).all()
    assert {"name": ["Hồ Chí Minh", "Thành phố Hồ Chí Minh"]} in changes


def test_official_city_names_sort_by_the_city_not_by_thanh_pho(db, client, auth):
    """ "Thành phố Huế" is Huế in the list: after Hà Nội and Thành phố Hồ Chí Minh, before
    Quảng Trị; in the database's order and in Python's alike."""
    official = [
        "Đà Nẵng",
        "Hà Nội",
        "Thành phố Hồ Chí Minh",
        "Thành phố Huế",
        "Quảng Trị",
        "Tây Ninh",
    ]
    for n, name in enumerate(_shuffled(official)):
        factories.province(name, code=f"c-{n}")
    admin = factories.user(Role.admin, None, email="admin@example.vn")
    db.session.commit()
    in_sql = db.session.scalars(
        sa.select(Province.name).order_by(by_name(Province.sort_name))
    ).all()
    assert in_sql == official
    assert [p.name for p in provinces_in_scope(admin)] == official
    assert sorted(official, key=lambda name: sort_key(Province(name=name).sort_name)) == official
    auth.login("admin@example.vn")
    form = client.get("/agreements/new").get_data(as_text=True)
    positions = [form.index(f">{name}<") for name in official]
    assert positions == sorted(positions)
