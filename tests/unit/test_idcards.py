"""What an ID card's bytes mean (core.idcards), written out field by field so that a moved
offset or a changed code fails; and what intake does with a card whose name the chip could
not hold (生僻字)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from hallclient.core.cases import RARE_CHARS_UNCONFIRMED, Decision, decision_problems
from hallclient.core.idcards import (
    NATIONS,
    CardFormatError,
    CardType,
    card_date,
    card_type_of_number,
    nation_name,
    number_problem,
    parse_base_message,
    rare_chars,
    sex_name,
)
from hallclient.devices.idcard import DEMO_CARDS, SimulatedReader, port_candidates
from hallclient.services.context import DeviceContext
from hallclient.services.tasks import InlineRunner

from . import test_service_lanes as lanes
from .test_cases import draft as complete_draft
from .test_service_lanes import intake_with_draft

db_ctx = lanes.db_ctx       # the fixture: a db lane context with the demo catalog


def field(text: str, size: int) -> bytes:
    data = text.encode("utf-16-le")
    assert len(data) <= size
    return data + " ".encode("utf-16-le") * ((size - len(data)) // 2)


def resident_bytes(name="张三", sex="1", nation="01", birth="19800101", address="北京市东城区示范街1号",
                   number="110101198001010010", authority="北京市公安局东城分局", start="20150301",
                   end="20350301", mark="") -> bytes:
    raw = (field(name, 30) + field(sex, 2) + field(nation, 4) + field(birth, 16) + field(address, 70)
           + field(number, 36) + field(authority, 30) + field(start, 16) + field(end, 16))
    return raw + field("", 28) + field(mark, 2) + field("", 6)


def foreign_bytes(number="USA110079010101") -> bytes:
    return (field("SMITH JOHN", 120) + field("2", 2) + field(number, 30) + field("USA", 6)
            + field("史密斯", 30) + field("20170601", 16) + field("20370601", 16) + field("19790101", 16)
            + field("17", 4) + field("1100", 8) + field("I", 2) + field("", 6))


def test_a_resident_card_field_by_field():
    card = parse_base_message(resident_bytes(), photo=b"BM...")
    assert (card.name, card.sex, card.nation, card.birth) == ("张三", "男", "汉", date(1980, 1, 1))
    assert card.address == "北京市东城区示范街1号" and card.id_number == "110101198001010010"
    assert card.authority == "北京市公安局东城分局"
    assert (card.valid_from, card.valid_to) == (date(2015, 3, 1), date(2035, 3, 1))
    assert card.card_type is CardType.RESIDENT and card.photo == b"BM..." and card.flagged == []


def test_a_card_valid_for_life_has_no_end_and_never_expires():
    card = parse_base_message(resident_bytes(end="长期"))
    assert card.valid_to is None and not card.expired(date(2999, 1, 1))


def test_an_expired_card_is_told_by_its_last_valid_day():
    card = parse_base_message(resident_bytes(end="20200101"))
    assert not card.expired(date(2020, 1, 1)) and card.expired(date(2020, 1, 2))


def test_a_residence_permit_of_hong_kong_macao_or_taiwan_residents():
    card = parse_base_message(resident_bytes(nation="", number="810000199001010019", mark="J"))
    assert card.card_type is CardType.PERMIT and card.nation == ""
    assert card.id_number == "810000199001010019"


def test_a_foreign_permanent_resident_card_has_its_own_layout():
    card = parse_base_message(foreign_bytes())
    assert card.card_type is CardType.FOREIGN
    assert (card.name, card.english_name, card.nation) == ("史密斯", "SMITH JOHN", "USA")
    assert (card.sex, card.birth, card.id_number) == ("女", date(1979, 1, 1), "USA110079010101")
    assert card.valid_to == date(2037, 6, 1) and card.address == ""


def test_short_or_unknown_cards_are_refused_in_chinese():
    with pytest.raises(CardFormatError, match="不完整"):
        parse_base_message(resident_bytes()[:200])
    with pytest.raises(CardFormatError, match="不认识的证件类型「Z」"):
        parse_base_message(resident_bytes(mark="Z"))
    with pytest.raises(CardFormatError, match="出生日期「19801301」不是日期"):
        parse_base_message(resident_bytes(birth="19801301"))
    with pytest.raises(CardFormatError, match="出生日期为「长期」"):     # not an assert: -O too
        parse_base_message(resident_bytes(birth="长期"))


def test_sex_codes_of_gb_t_2261_1():
    assert [sex_name(c) for c in "0129"] == ["未知", "男", "女", "未说明"]
    assert sex_name("女") == "女"


def test_nation_codes_of_gb_3304():
    assert len(NATIONS) == 58
    assert [nation_name(c) for c in ("01", "02", "05", "15", "56", "97", "98")] == [
        "汉", "蒙古", "维吾尔", "土家", "基诺", "其他", "外国血统"]
    assert nation_name("1") == "汉" and nation_name("维吾尔族") == "维吾尔" and nation_name("汉") == "汉"


def test_card_dates_in_the_drivers_spellings():
    assert card_date("19491231", "出生日期") == date(1949, 12, 31)
    assert card_date("1949-12-31", "出生日期") == date(1949, 12, 31)
    assert card_date("1949.12.31", "出生日期") == date(1949, 12, 31)
    assert card_date("长期", "有效期限") is None


def test_private_use_and_stand_in_characters_are_flagged_by_position():
    assert rare_chars("王\ue85a", "姓名")[0].described == "姓名第 2 个字（U+E85A）"
    assert [r.char for r in rare_chars("王?□\ufffd明", "姓名")] == ["?", "□", "\ufffd"]
    assert rare_chars("王𠮷", "姓名") == []          # a real character outside UCS-2 is fine
    assert rare_chars("李\U000f0001", "住址")[0].field == "住址"     # supplementary private use


@pytest.mark.parametrize(("number", "kind"), [
    ("11010519491231002X", CardType.RESIDENT), ("810000199001010019", CardType.PERMIT),
    ("830000199001010019", CardType.PERMIT), ("USA110079010101", CardType.FOREIGN),
    ("931586199001010014", CardType.FOREIGN)])
def test_the_card_type_follows_the_number(number, kind):
    assert card_type_of_number(number) is kind


def test_number_rules_per_card_type():
    assert number_problem(CardType.RESIDENT, "11010519491231002X") == ""
    assert "校验位" in number_problem(CardType.RESIDENT, "110105194912310021")
    assert number_problem(CardType.PERMIT, "810000199001010019") == ""
    assert "810000" in number_problem(CardType.PERMIT, "11010519491231002X")
    assert number_problem(CardType.FOREIGN, "USA110079010101") == ""
    assert number_problem(CardType.FOREIGN, "931586199001010014") == ""     # 2023 edition
    assert "校验位" in number_problem(CardType.FOREIGN, "931586199001010015")
    assert "15 位" in number_problem(CardType.FOREIGN, "US1110079010101")


def test_a_card_whose_number_is_not_of_its_type_says_so():
    assert parse_base_message(resident_bytes()).number_problem == ""
    assert "校验位" in parse_base_message(resident_bytes(number="110101198001010011")).number_problem
    assert parse_base_message(foreign_bytes()).number_problem == ""
    assert "15 位" in parse_base_message(foreign_bytes(number="USA1100790101")).number_problem


def test_auto_port_tries_usb_then_the_first_serial_ports():
    assert port_candidates("auto") == (*range(1001, 1017), 1, 2, 3, 4)
    assert port_candidates("1003") == (1003,)


# -- intake and the case: a rare character never goes out unseen ------------------------

RARE = replace(DEMO_CARDS[0], name="王\ue85a")


def test_a_pua_name_is_refused_by_case_validation():
    from ..recipes import PERSON

    d = complete_draft(Decision.ACCEPT, replace(PERSON, name="王\ue85a"))
    assert any("专用区字符" in p for p in decision_problems(d))


def test_an_unconfirmed_card_name_stops_the_case_even_without_private_use(qapp):
    from ..recipes import PERSON

    d = complete_draft(Decision.ACCEPT, replace(PERSON, name="王?"))
    assert decision_problems(d) == []
    d.card_text_unconfirmed = True
    assert decision_problems(d) == [RARE_CHARS_UNCONFIRMED]


def test_reading_a_rare_name_flags_the_draft_until_the_clerk_types_and_confirms(qapp, db_ctx):
    runner = InlineRunner(db=db_ctx, device=DeviceContext(card_reader=SimulatedReader([RARE])))
    intake = intake_with_draft(runner)
    read, refused, confirmed = [], [], []
    intake.card_read.connect(read.append)
    intake.card_confirm_refused.connect(refused.append)
    intake.card_confirmed.connect(confirmed.append)
    intake.read_card()
    assert runner.ran == ["device"] and read[0].name == "王\ue85a"
    assert intake.card_text_unconfirmed and RARE_CHARS_UNCONFIRMED in intake.problems()
    intake.confirm_card_text("王\ue85a", RARE.address)        # confirming the PUA as it is: no
    assert "姓名第 2 个字（U+E85A）" in refused[0] and intake.card_text_unconfirmed
    intake.confirm_card_text("王𠮷", RARE.address)
    assert confirmed == ["王𠮷"] and not intake.card_text_unconfirmed
    assert intake.draft.applicant.name == "王𠮷"
    assert RARE_CHARS_UNCONFIRMED not in intake.problems()


def test_a_plain_card_needs_no_confirmation(qapp, db_ctx):
    runner = InlineRunner(db=db_ctx, device=DeviceContext(card_reader=SimulatedReader([DEMO_CARDS[1]])))
    intake = intake_with_draft(runner)
    intake.read_card()
    assert not intake.card_text_unconfirmed and intake.draft.applicant.name == "李䶮"
