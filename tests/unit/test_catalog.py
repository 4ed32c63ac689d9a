from __future__ import annotations

import pytest

from hallclient.core.catalog import CaseType, CatalogError, Requirement, parse_item
from hallclient.store import catalog_repo


@pytest.fixture
def catalog(db, demo_catalog):
    with db.write() as conn:
        catalog_repo.import_items(conn, demo_catalog["items"], demo_catalog["version"])
    return db


def test_demo_catalog_is_a_realistic_county_catalog(demo_catalog):
    items = [parse_item(raw) for raw in demo_catalog["items"]]
    assert len(items) >= 30
    departments = {i.department for i in items}
    for dept in ("市场监督管理局", "人力资源和社会保障局", "民政局", "不动产登记中心", "公安局",
                 "卫生健康局", "住房和城乡建设局"):
        assert any(dept in d for d in departments)
    assert {i.case_type for i in items} == {CaseType.INSTANT, CaseType.PROMISED}
    assert len({i.impl_code for i in items}) == len(items)
    for item in items:   # the ten 三级十同 fields are all there
        assert item.main_name and item.item_type and item.item_code and item.legal_basis
        assert item.materials and item.process and item.form_fields and item.fees
        assert item.legal_days >= item.promised_days or item.legal_days == 0
        assert item.required_materials()
    assert any(m.requirement is Requirement.CONDITIONAL for i in items for m in i.materials)


@pytest.mark.parametrize("query, expected", [
    ("个体工商户", "个体工商户登记（设立登记）"),
    ("gtgshdj", "个体工商户登记（设立登记）"),       # pinyin initials
    ("budongchan", "不动产登记资料查询"),          # whole syllables
    ("食品经营", "食品经营许可（新办）"),
    ("民政局", "内地居民婚姻登记（结婚登记）"),      # by department
])
def test_search_by_name_pinyin_and_department(catalog, query, expected):
    names = [s.name for s in catalog_repo.search(catalog.conn, query)]
    assert expected in names


def test_search_by_code(catalog, demo_catalog):
    first = demo_catalog["items"][0]
    by_impl = catalog_repo.search(catalog.conn, first["impl_code"])
    assert [s.impl_code for s in by_impl] == [first["impl_code"]]
    by_code = catalog_repo.search(catalog.conn, first["item_code"][:6])
    assert first["impl_code"] in [s.impl_code for s in by_code]


def test_items_read_back_whole(catalog, demo_catalog):
    raw = demo_catalog["items"][3]
    item = catalog_repo.get(catalog.conn, raw["impl_code"])
    assert item == parse_item(raw)


def test_a_bad_catalog_changes_nothing(catalog, demo_catalog):
    bad = [dict(demo_catalog["items"][0], item_type="77")]
    with pytest.raises(CatalogError, match="事项类型 77"):
        with catalog.write() as conn:
            catalog_repo.import_items(conn, demo_catalog["items"][1:] + bad, "v2")
    assert catalog_repo.count(catalog.conn) == len(demo_catalog["items"])


def test_item_validation_messages():
    with pytest.raises(CatalogError, match="缺少「item_code」"):
        parse_item({"impl_code": "X", "item_type": "01"})
    with pytest.raises(CatalogError, match="承诺时限"):
        parse_item({"impl_code": "X", "item_type": "01", "item_code": "C", "main_name": "m",
                    "department": "d", "legal_basis": "b", "legal_days": 5, "promised_days": 9})


def test_the_shipped_demo_keys_are_the_demo_catalogs_own(demo_catalog):
    """catalog-pinyin.json (so the demo never loads the pinyin dictionaries) must say what
    search_keys says for every item of the demo catalog, and nothing else."""
    from hallclient.core.catalog import parse_item, search_keys
    from hallclient.demo import demo_catalog_keys

    shipped = demo_catalog_keys()
    names = {parse_item(raw).name for raw in demo_catalog["items"]}
    assert set(shipped) == names
    assert {name: search_keys(name) for name in names} == shipped


def test_known_names_keep_their_keys_and_only_new_names_are_worked_out(catalog, demo_catalog,
                                                                        monkeypatch):
    worked_out: list[str] = []
    real = catalog_repo.search_keys

    def counting(name: str) -> tuple[str, str]:
        worked_out.append(name)
        return real(name)

    monkeypatch.setattr(catalog_repo, "search_keys", counting)
    known = catalog_repo.known_keys(catalog.conn)
    assert len(known) >= len(demo_catalog["items"]) - 1
    renamed = dict(demo_catalog["items"][0], main_name="新设事项测试", sub_name="")
    prepared = catalog_repo.prepare([renamed, *demo_catalog["items"][1:]], known)
    assert worked_out == ["新设事项测试"]
    keys = {item.name: (initials, full) for item, initials, full in prepared}
    assert keys["新设事项测试"] == ("xssxcs", "xinsheshixiangceshi")
    for item, initials, full in prepared[1:]:
        assert (initials, full) == known[item.name]


# 事项类型 codes and 办件类型 as the national standards (GB/T 39046) number them, written
# out here so a changed entry in the code's tables fails
ITEM_TYPES_BY_STANDARD = {
    "01": "行政许可", "02": "行政处罚", "03": "行政强制", "04": "行政征收", "05": "行政给付",
    "06": "行政检查", "07": "行政确认", "08": "行政奖励", "09": "行政裁决", "10": "其他行政权力",
    "20": "公共服务",
}
MINIMAL = {"impl_code": "X1", "item_code": "C1", "main_name": "某事项", "department": "某局",
           "legal_basis": "某法"}


@pytest.mark.parametrize("code, label", sorted(ITEM_TYPES_BY_STANDARD.items()))
def test_every_item_type_of_the_standard_is_known_by_its_name(code, label):
    assert parse_item(dict(MINIMAL, item_type=code)).type_label == label


@pytest.mark.parametrize("code", ["00", "11", "19", "21", "99", "1"])
def test_other_item_type_codes_are_refused(code):
    with pytest.raises(CatalogError, match=f"事项类型 {code} 不在 01-10、20 之内"):
        parse_item(dict(MINIMAL, item_type=code))


def test_case_types_and_their_labels():
    assert [(c.name, int(c), c.label) for c in CaseType] == [
        ("INSTANT", 1, "即办件"), ("PROMISED", 2, "承诺件"), ("OTHER", 9, "其他")]
    assert parse_item(dict(MINIMAL, item_type="01", case_type=9)).case_type is CaseType.OTHER
    assert parse_item(dict(MINIMAL, item_type="01")).case_type is CaseType.INSTANT


def test_bad_numbers_and_materials_are_refused_as_catalog_errors():
    with pytest.raises(CatalogError, match="^事项 X1 办件类型或时限无效"):
        parse_item(dict(MINIMAL, item_type="01", case_type=5))
    with pytest.raises(CatalogError, match="^事项 X1 办件类型或时限无效"):
        parse_item(dict(MINIMAL, item_type="01", legal_days="二十"))
    with pytest.raises(CatalogError, match="^事项 X1 第 2 项材料无效"):
        parse_item(dict(MINIMAL, item_type="01", materials=[
            {"code": "M1", "name": "申请书"},
            {"code": "M2", "name": "执照", "requirement": "sometimes"}]))
    with pytest.raises(CatalogError, match="第 1 项材料无效：「code」超过 20 个字符"):
        parse_item(dict(MINIMAL, item_type="01", materials=[{"code": "M" * 21, "name": "x"}]))


def test_a_parsed_item_is_what_the_file_says_and_cannot_be_changed():
    import dataclasses

    item = parse_item(dict(MINIMAL, item_type="01", sub_name="新办", legal_days=20,
                           promised_days=5, case_type=2, materials=[
                               {"code": "M1", "name": "申请书", "form": "copy", "count": 2,
                                "standard": "A4", "condition": ""}]))
    assert item.name == "某事项（新办）" and item.legal_days == 20 and item.promised_days == 5
    (m,) = item.materials
    assert (m.code, m.requirement, m.form.label, m.count, m.standard) == (
        "M1", Requirement.REQUIRED, "复印件", 2, "A4")
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.code = "M2"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.impl_code = "Y"  # type: ignore[misc]


def test_field_limits_and_defaults_of_an_item():
    assert parse_item(dict(MINIMAL, item_type="01", legal_basis="法" * 1000)).legal_basis
    with pytest.raises(CatalogError, match="「legal_basis」超过 1000 个字符"):
        parse_item(dict(MINIMAL, item_type="01", legal_basis="法" * 1001))
    with pytest.raises(CatalogError, match="「impl_code」超过 36 个字符"):
        parse_item(dict(MINIMAL, item_type="01", impl_code="9" * 37))
    item = parse_item(dict(MINIMAL, item_type="01", fees="", sub_name="",
                           materials=[{"code": "M1", "name": "申请书"}]))
    assert (item.fees, item.name, item.applicant_kind, item.process) == ("", "某事项", "person", ())
    (m,) = item.materials
    assert (m.requirement, m.form.value, m.count, m.standard, m.condition) == (
        Requirement.REQUIRED, "original", 1, "", "")
    with pytest.raises(CatalogError, match="缺少「main_name」"):
        parse_item(dict(MINIMAL, item_type="01", main_name="  "))


def test_text_limits_and_time_limits_at_their_edges(demo_catalog):
    """A department of 200 characters is taken, 201 is not; a promise equal to the legal
    time limit is allowed, one day more is not."""
    raw = dict(demo_catalog["items"][0])
    assert parse_item({**raw, "department": "局" * 200}).department == "局" * 200
    with pytest.raises(CatalogError):
        parse_item({**raw, "department": "局" * 201})
    same = parse_item({**raw, "legal_days": 20, "promised_days": 20})
    assert (same.legal_days, same.promised_days) == (20, 20)
    with pytest.raises(CatalogError, match="承诺时限 21 天超过法定时限 20 天"):
        parse_item({**raw, "legal_days": 20, "promised_days": 21})
