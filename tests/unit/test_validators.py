"""Validators against the published algorithms, written here a second, independent way."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from hallclient.core.validators import (
    USCC_CHARS,
    check_mobile,
    check_resident_id,
    check_uscc,
    id_birth_date,
    id_document,
    id_is_male,
    mask_id,
    mask_mobile,
)

TODAY = date(2026, 11, 27)


def iso7064_mod11_2(body: str) -> str:
    """ISO 7064 MOD 11-2 as the standard states it: weight of position i (from the right,
    the check character being position 1) is 2^(i-1) mod 11; check = (12 - S mod 11) mod 11."""
    s = sum(int(c) * pow(2, len(body) - k, 11) for k, c in enumerate(body))
    value = (12 - s % 11) % 11
    return "X" if value == 10 else str(value)


def gb32100_check(body: str) -> str:
    """GB 32100-2015: weights W_i = 3^(i-1) mod 31, C18 = 31 - (sum mod 31), 31 -> 0."""
    s = sum(USCC_CHARS.index(c) * pow(3, i, 31) for i, c in enumerate(body))
    return USCC_CHARS[(31 - s % 31) % 31]


@pytest.mark.parametrize("value", [
    "11010519491231002X",   # GB 11643-1999 example
    "440524188001010014",   # GB 11643-1999 example
    "11010519491231002x",   # lower-case x is accepted and normalised
    "110105 19491231 002X",
])
def test_known_valid_ids(value):
    result = check_resident_id(value, TODAY)
    assert result.ok and result.value == value.replace(" ", "").upper()


@pytest.mark.parametrize("value, message", [
    ("110105194912310021", "校验位"),
    ("11010519491231002", "18 位"),
    ("110105491231002", "一代"),
    ("99010519491231002X", "地区码"),
    ("110105194902300025", "不是有效日期"),
    ("110105203001010011", "不合理"),
    ("11010519491231002A", "最后一位"),
    ("", "请输入"),
])
def test_known_invalid_ids(value, message):
    result = check_resident_id(value, TODAY)
    assert not result.ok and message in result.message


born = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)

# GB/T 2260 province-level divisions (省级行政区划代码), written out here from the standard
# rather than taken from the code under test, so a wrong entry in its table fails
GB_T_2260_PROVINCES = {
    11: "北京市", 12: "天津市", 13: "河北省", 14: "山西省", 15: "内蒙古自治区",
    21: "辽宁省", 22: "吉林省", 23: "黑龙江省",
    31: "上海市", 32: "江苏省", 33: "浙江省", 34: "安徽省", 35: "福建省", 36: "江西省",
    37: "山东省",
    41: "河南省", 42: "湖北省", 43: "湖南省", 44: "广东省", 45: "广西壮族自治区", 46: "海南省",
    50: "重庆市", 51: "四川省", 52: "贵州省", 53: "云南省", 54: "西藏自治区",
    61: "陕西省", 62: "甘肃省", 63: "青海省", 64: "宁夏回族自治区", 65: "新疆维吾尔自治区",
    71: "台湾省", 81: "香港特别行政区", 82: "澳门特别行政区",
}


def with_province(code: int) -> str:
    body = f"{code:02d}0105" + "19491231" + "002"
    return body + iso7064_mod11_2(body)


# residence permits (居住证) carry a resident identity number whose region is the whole code
# of Hong Kong, Macao or Taiwan (issued since 2018 under GB 11643)
RESIDENCE_PERMITS = {"810000": "港澳居民居住证", "820000": "港澳居民居住证",
                     "830000": "台湾居民居住证"}


@pytest.mark.parametrize("code", range(100))
def test_exactly_the_gb_t_2260_provinces_are_known(code):
    result = check_resident_id(with_province(code), TODAY)
    if code in (81, 82, 83):       # only as a residence permit's 810000 / 820000 / 830000
        assert not result.ok and "810000、820000 或 830000" in result.message
    elif code in GB_T_2260_PROVINCES:
        assert result.ok, GB_T_2260_PROVINCES[code]
    else:
        assert not result.ok and result.message == f"身份证号码的地区码 {code:02d}0105 不存在"


@st.composite
def resident_ids(draw):
    province = draw(st.sampled_from(sorted(set(GB_T_2260_PROVINCES) - {81, 82})))
    region = draw(st.one_of(st.integers(0, 9999).map(lambda rest: f"{province:02d}{rest:04d}"),
                            st.sampled_from(sorted(RESIDENCE_PERMITS))))
    birth = draw(born)
    seq = draw(st.integers(0, 999))
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + iso7064_mod11_2(body)


@given(resident_ids())
def test_every_well_formed_id_passes_and_reads_back(value):
    result = check_resident_id(value, TODAY)
    assert result.ok, result.message
    assert id_birth_date(value).strftime("%Y%m%d") == value[6:14]
    assert id_is_male(value) == (int(value[16]) % 2 == 1)


@given(resident_ids(), st.integers(0, 17), st.sampled_from("0123456789X"))
def test_any_single_character_change_is_caught(value, position, char):
    assume(value[position] != char)
    changed = value[:position] + char + value[position + 1:]
    assert not check_resident_id(changed, TODAY).ok


@given(resident_ids(), st.integers(0, 15))
def test_adjacent_transpositions_are_caught(value, position):
    a, b = value[position], value[position + 1]
    assume(a != b)
    swapped = value[:position] + b + a + value[position + 2:]
    assert not check_resident_id(swapped, TODAY).ok


@pytest.mark.parametrize("value", ["91350100M000100Y43", "91110000600037341L", "9135 0100 M000 100Y 43"])
def test_known_valid_uscc(value):
    assert check_uscc(value).ok


@pytest.mark.parametrize("value, message", [
    ("91350100M000100Y44", "校验位"),
    ("91350100M000100Y4", "18 位"),
    ("91350100M0001O0Y43", "不能含有字符 O"),
    ("Z1350100M000100Y43", "不能含有字符 Z"),
    ("B1350100M000100Y43", "登记管理部门"),
    ("9135A100M000100Y43", "行政区划"),
])
def test_known_invalid_uscc(value, message):
    result = check_uscc(value)
    assert not result.ok and message in result.message


@st.composite
def usccs(draw):
    head = draw(st.sampled_from("123456789ANY")) + draw(st.sampled_from("123459"))
    region = f"{draw(st.integers(110000, 829999)):06d}"
    org = "".join(draw(st.lists(st.sampled_from(USCC_CHARS), min_size=9, max_size=9)))
    body = head + region + org
    return body + gb32100_check(body)


@given(usccs())
def test_every_well_formed_uscc_passes(value):
    assert check_uscc(value).ok


@given(usccs(), st.integers(0, 17), st.sampled_from(USCC_CHARS))
def test_uscc_single_character_change_is_caught(value, position, char):
    assume(value[position] != char)
    changed = value[:position] + char + value[position + 1:]
    assert not check_uscc(changed).ok


@pytest.mark.parametrize("value, expected", [
    ("13800138000", "13800138000"), ("+8613800138000", "13800138000"),
    ("86 139-0000-1111", "13900001111"), ("19912345678", "19912345678"),
])
def test_valid_mobiles(value, expected):
    result = check_mobile(value)
    assert result.ok and result.value == expected and result.message == ""


@pytest.mark.parametrize("value", ["12800138000", "1380013800", "138001380000", "0571-8888888", ""])
def test_invalid_mobiles(value):
    assert not check_mobile(value).ok


def test_masks_never_show_the_whole_number():
    assert mask_id("11010519491231002X") == "110105********002X"
    assert mask_mobile("13800138000") == "138****8000"
    assert mask_id("1101051949") == "**********" and mask_id("11010519491") == "110105*9491"
    assert mask_mobile("1380013") == "*******" and mask_mobile("") == ""


def test_empty_input_asks_for_the_value():
    assert check_uscc("").message == check_uscc(None).message == "请输入统一社会信用代码"
    assert check_mobile(" ").message == check_mobile(None).message == "请输入手机号码"
    assert check_resident_id(None).message == "请输入身份证号码"


def test_future_birth_dates_are_refused():
    tomorrow = TODAY + timedelta(days=1)
    body = f"110105{tomorrow:%Y%m%d}001"
    assert not check_resident_id(body + iso7064_mod11_2(body), TODAY).ok
    born_today = f"110105{TODAY:%Y%m%d}001"
    assert check_resident_id(born_today + iso7064_mod11_2(born_today), TODAY).ok   # a newborn


def test_a_check_result_cannot_be_changed():
    import dataclasses

    with pytest.raises(dataclasses.FrozenInstanceError):
        check_mobile("13800138000").ok = False  # type: ignore[misc]


@pytest.mark.parametrize("url, kept", [
    ("https://zwfw.example.gov.cn/", "https://zwfw.example.gov.cn"),
    ("https://10.0.0.5:8700", "https://10.0.0.5:8700"),
    ("http://127.0.0.1:8700/", "http://127.0.0.1:8700"),
    ("http://localhost:8700", "http://localhost:8700"),
    ("http://[::1]:8700", "http://[::1]:8700"),
])
def test_platform_addresses_that_are_allowed(url, kept):
    from hallclient.core.validators import platform_url

    assert platform_url(url) == kept


@pytest.mark.parametrize("url", ["http://10.0.0.5:8700", "http://zwfw.example.gov.cn",
                                 "ftp://127.0.0.1", "zwfw.example.gov.cn", ""])
def test_platform_addresses_that_are_refused(url):
    from hallclient.core.validators import platform_url

    with pytest.raises(ValueError, match="^平台地址必须使用 https（只有本机模拟器可以用 http）"):
        platform_url(url)


def permit(region: str, birth: str = "19900101", seq: str = "123") -> str:
    body = region + birth + seq
    return body + iso7064_mod11_2(body)


@pytest.mark.parametrize("region, document", sorted(RESIDENCE_PERMITS.items()))
def test_residence_permits_of_hong_kong_macao_and_taiwan_residents_are_accepted(region, document):
    value = permit(region)
    result = check_resident_id(value, TODAY)
    assert result.ok and result.value == value
    assert id_document(value) == document
    assert id_document("11010519491231002X") == "居民身份证"


FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


@pytest.mark.parametrize("value", ["11010519491231002X", permit("830000")])
def test_an_id_typed_in_full_width_is_read_as_its_plain_form(value):
    typed = value.translate(FULL_WIDTH).replace("Ｘ", "ｘ")      # ｘ: full-width lower case
    result = check_resident_id("\u3000" + typed + "\u3000", TODAY)   # and full-width spaces
    assert result.ok, result.message
    assert result.value == value
    assert check_mobile("１３８ ００１３ ８０００").value == "13800138000"
    assert check_uscc("91350100M000100Y43".translate(FULL_WIDTH)).value == "91350100M000100Y43"


# digits of other scripts: Arabic-Indic, Extended Arabic-Indic (Persian), Devanagari, Bengali,
# Thai, mathematical bold (NFKC makes those ASCII, so they are plain digits)
OTHER_DIGITS = ["٠١٢٣٤٥٦٧٨٩", "۰۱۲۳۴۵۶۷۸۹", "०१२३४५६७८९", "০১২৩৪৫৬৭৮৯", "๐๑๒๓๔๕๖๗๘๙"]


@given(resident_ids(), st.sampled_from(OTHER_DIGITS),
       st.sets(st.integers(0, 16), min_size=1, max_size=17))
def test_digits_of_other_scripts_are_refused_by_name(value, script, positions):
    typed = "".join(script[int(c)] if i in positions else c for i, c in enumerate(value))
    result = check_resident_id(typed, TODAY)
    assert not result.ok and "其他文字的数字" in result.message
    assert typed[min(positions)] in result.message
    mobile = check_mobile("138" + "".join(script[int(c)] for c in "00138000"))
    assert not mobile.ok and "其他文字的数字" in mobile.message
