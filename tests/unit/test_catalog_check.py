"""Whatever JSON the platform sends as its catalog, the check answers in words, never with a
traceback: a sound catalog, or CatalogRefusedError naming the first problems."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hallclient import resources
from hallclient.core.catalog import (
    CatalogError,
    CatalogRefusedError,
    check_catalog,
    hold_reason,
    parse_item,
)

DEMO = json.loads(resources.path("demo", "catalog.json").read_text(encoding="utf-8"))
FIELDS = sorted({k for item in DEMO["items"] for k in item})
MATERIAL_FIELDS = sorted({k for item in DEMO["items"] for m in item["materials"] for k in m})

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                 max_size=4),
    max_leaves=12,
)


@st.composite
def damaged_items(draw):
    """A real item with a few of its fields (or of one material's) swapped for any JSON."""
    item = json.loads(json.dumps(draw(st.sampled_from(DEMO["items"]))))
    for key in draw(st.lists(st.sampled_from(FIELDS), max_size=3)):
        item[key] = draw(json_values)
    materials = item.get("materials")
    if draw(st.booleans()) and isinstance(materials, list) and materials and isinstance(
            materials[0], dict):
        materials[0][draw(st.sampled_from(MATERIAL_FIELDS))] = draw(json_values)
    return item


catalogs = st.one_of(
    json_values,
    st.fixed_dictionaries({"version": json_values, "items": json_values}),
    st.fixed_dictionaries({"version": st.text(max_size=10),
                           "items": st.lists(damaged_items() | json_values, max_size=5)}),
)


@settings(max_examples=400, deadline=None)
@given(body=catalogs)
def test_any_json_is_a_sound_catalog_or_a_refusal_in_words(body):
    try:
        checked = check_catalog(body)
    except CatalogRefusedError as exc:
        assert exc.reason.startswith("共 ") and not exc.held
        return
    assert isinstance(body, dict) and len(checked.items) == len(body["items"])
    assert len({i.impl_code for i in checked.items}) == len(checked.items)


@settings(max_examples=300, deadline=None)
@given(raw=damaged_items() | json_values)
def test_any_json_as_one_item_is_an_item_or_a_catalog_error(raw):
    try:
        parse_item(raw)
    except CatalogError as exc:
        assert str(exc)


def test_the_demo_catalog_passes_whole():
    assert len(check_catalog(DEMO).items) == 33


@pytest.mark.parametrize("body, reason", [
    ({"items": "x"}, "共 1 处问题：「items」应是事项的列表"),
    ([], "共 1 处问题：整份目录不是一个 JSON 对象"),
    ({"version": 7}, "共 2 处问题：「version」应是不超过 64 个字符的文字；缺少「items」（事项列表）"),
    ({"items": [1, 2, 3, 4]}, "共 4 处问题：第 1 个事项不是一个对象；第 2 个事项不是一个对象；"
                              "第 3 个事项不是一个对象（另有 1 处）"),
])
def test_a_malformed_catalog_is_refused_naming_its_first_problems(body, reason):
    with pytest.raises(CatalogRefusedError) as refused:
        check_catalog(body)
    assert refused.value.reason == reason


def test_too_long_fields_and_wrong_types_are_named():
    item = dict(DEMO["items"][0], main_name="名" * 201, process="申请")
    with pytest.raises(CatalogRefusedError, match="「main_name」超过 200 个字符"):
        check_catalog({"items": [item]})
    item = dict(DEMO["items"][0], process=["申请", 3])
    with pytest.raises(CatalogRefusedError, match="「process」的每一项应是"):
        check_catalog({"items": [item]})
    item = dict(DEMO["items"][0], legal_days=True)
    with pytest.raises(CatalogRefusedError, match="「legal_days」应是 0 到 3650 之间的整数"):
        check_catalog({"items": [item]})


def test_an_empty_catalog_or_one_retiring_most_items_waits_for_an_admin():
    ours = {f"C{i}" for i in range(10)}
    assert "空的" in (hold_reason(set(), ours) or "")
    assert "空的" in (hold_reason(set(), set()) or "")
    assert hold_reason({f"C{i}" for i in range(5)}, ours) is None          # half: a revision
    assert "6 个（超过一半）" in (hold_reason({f"C{i}" for i in range(4)}, ours) or "")
    assert hold_reason({"N1"}, set()) is None                              # a first catalog
    assert hold_reason(ours | {"N1"}, ours) is None
