"""The SDT and CVR reader drivers against stand-in vendor libraries compiled from C for
this run (tests/idcard_stubs.py): the real ctypes calls, the card's bytes, the error
paths, the time bound, and the Chinese message each failure gives the clerk."""

from __future__ import annotations

import time
from datetime import date

import pytest

from hallclient.config import Config
from hallclient.core.idcards import CardType
from hallclient.devices.idcard import CardReaderError
from hallclient.devices.idcard_cvr import CvrReader
from hallclient.devices.idcard_sdt import BMP_SIZE, SdtReader
from hallclient.services.context import make_card_reader, open_devices

from .. import idcard_stubs as stub_libraries
from ..idcard_stubs import Scenario

idcard_stubs = stub_libraries.idcard_stubs      # the fixtures, for this module's tests
stubs = stub_libraries.stubs

TIMEOUT = 1.0


def sdt(stubs, **kw) -> SdtReader:
    return SdtReader(str(stubs.sdt.path), timeout=kw.pop("timeout", TIMEOUT), **kw)


def cvr(stubs, **kw) -> CvrReader:
    return CvrReader(str(stubs.cvr.path), timeout=kw.pop("timeout", TIMEOUT), **kw)


# -- SDT ---------------------------------------------------------------------------------

def test_sdt_reads_a_resident_card_and_closes_its_port(stubs):
    card = sdt(stubs).read()
    assert (card.name, card.sex, card.nation, card.birth) == ("张三", "男", "汉", date(1980, 1, 1))
    assert card.id_number == "110101198001010010" and card.address == "北京市东城区示范街1号"
    assert card.valid_to == date(2035, 3, 1) and card.card_type is CardType.RESIDENT
    assert card.photo is None                       # no decoder set: no photo, the text still read
    assert stubs.sdt.open_ports == 0 and stubs.sdt.last_port == 1001


def test_sdt_photo_goes_through_the_vendor_decoder(stubs):
    card = sdt(stubs, photo_decoder=str(stubs.wlt.path)).read()
    assert card.photo is not None and len(card.photo) == BMP_SIZE and card.photo[:2] == b"BM"


def test_sdt_with_no_card_says_where_to_put_it_after_trying_for_the_timeout(stubs):
    stubs.sdt.scenario(Scenario.ABSENT)
    started = time.monotonic()
    with pytest.raises(CardReaderError, match="^请将身份证放在读卡器上$"):
        sdt(stubs, timeout=0.6).read()
    assert 0.5 <= time.monotonic() - started < 3.0
    assert stubs.sdt.finds > 1 and stubs.sdt.open_ports == 0


def test_sdt_reads_a_card_laid_on_the_reader_after_the_button(stubs):
    stubs.sdt.scenario(Scenario.LATE)
    assert sdt(stubs).read().name == "张三" and stubs.sdt.finds == 4


def test_sdt_card_removed_mid_read(stubs):
    stubs.sdt.scenario(Scenario.REMOVED)
    removed = r"读卡失败：读卡操作失败（身份证被移开或没有放稳）（读卡器返回代码 0x41）"
    with pytest.raises(CardReaderError, match=removed):
        sdt(stubs).read()
    assert stubs.sdt.open_ports == 0


def test_sdt_other_codes_are_named_with_the_code(stubs):
    stubs.sdt.scenario(Scenario.ODD_ERROR)
    with pytest.raises(CardReaderError, match=r"信息验证错误（读卡器返回代码 0x33）"):
        sdt(stubs).read()


def test_sdt_rare_character_and_stand_in_are_flagged(stubs):
    stubs.sdt.scenario(Scenario.RARE_NAME)
    card = sdt(stubs).read()
    assert card.name == "王\ue85a" and [r.described for r in card.flagged] == ["姓名第 2 个字（U+E85A）"]
    assert card.valid_to is None                   # 长期
    stubs.sdt.scenario(Scenario.SUBSTITUTE)
    assert [r.char for r in sdt(stubs).read().flagged] == ["?"]


def test_sdt_expired_card(stubs):
    stubs.sdt.scenario(Scenario.EXPIRED)
    card = sdt(stubs).read()
    assert card.name == "李四" and card.expired(date(2026, 1, 1)) and card.flagged == []


def test_sdt_foreign_permanent_resident_card(stubs):
    stubs.sdt.scenario(Scenario.FOREIGN)
    card = sdt(stubs).read()
    assert card.card_type is CardType.FOREIGN and card.id_number == "USA110079010101"
    assert (card.name, card.english_name, card.nation) == ("史密斯", "SMITH JOHN", "USA")


def test_sdt_hong_kong_residence_permit(stubs):
    stubs.sdt.scenario(Scenario.PERMIT)
    card = sdt(stubs).read()
    assert card.card_type is CardType.PERMIT and card.id_number == "810000199001010019"
    assert card.name == "陈大文" and card.nation == ""


def test_a_slow_read_is_cut_at_the_timeout_and_the_reader_stays_busy_until_it_ends(stubs):
    stubs.sdt.scenario(Scenario.SLOW, delay_ms=3000)
    reader = sdt(stubs, timeout=0.3)
    started = time.monotonic()
    with pytest.raises(CardReaderError, match=r"读卡超时（0.3 秒内没有读完）"):
        reader.read()
    assert time.monotonic() - started < 2.0         # the device lane is free before the 3 s read ends
    with pytest.raises(CardReaderError, match="上一次读卡还没有结束"):
        reader.read()
    deadline = time.monotonic() + 5
    while stubs.sdt.open_ports and time.monotonic() < deadline:
        time.sleep(0.05)
    stubs.sdt.scenario(Scenario.PRESENT)
    assert reader.read().name == "张三"


@pytest.mark.parametrize(("plugged", "port"), [(1003, 1003), (2, 2)])
def test_auto_port_finds_the_reader_on_usb_or_serial(stubs, plugged, port):
    stubs.sdt.scenario(Scenario.PRESENT, port=plugged)
    assert sdt(stubs, port="auto").read().name == "张三" and stubs.sdt.last_port == port


def test_no_reader_on_any_port(stubs):
    stubs.sdt.scenario(Scenario.PRESENT, port=0)
    with pytest.raises(CardReaderError, match="读卡器未连接：USB 1001-1016 和串口 1-4都打不开"):
        sdt(stubs).read()
    stubs.sdt.scenario(Scenario.PRESENT, port=1002)
    with pytest.raises(CardReaderError, match="读卡器未连接：端口 1001都打不开"):
        sdt(stubs, port="1001").read()


def test_missing_empty_or_wrong_libraries_are_said_at_read_time(stubs, tmp_path):
    with pytest.raises(CardReaderError, match="无法加载读卡器驱动库 .*libnone.so"):
        SdtReader(str(tmp_path / "libnone.so")).read()
    with pytest.raises(CardReaderError, match=r"未设置读卡器驱动库（idcard.library）"):
        CvrReader("").read()
    with pytest.raises(CardReaderError, match="没有 SDT_OpenPort 函数：它不是 SDT 接口的驱动"):
        SdtReader(str(stubs.cvr.path)).read()


# -- CVR ---------------------------------------------------------------------------------

def test_cvr_reads_gbk_text(stubs):
    card = cvr(stubs).read()
    assert (card.name, card.sex, card.nation, card.birth) == ("张三", "男", "汉", date(1980, 1, 1))
    assert card.address == "北京市东城区示范街1号" and card.authority == "北京市公安局东城分局"
    assert card.valid_from == date(2015, 3, 1) and card.card_type is CardType.RESIDENT
    assert stubs.cvr.open_ports == 0


def test_cvr_user_defined_gbk_code_arrives_flagged(stubs):
    stubs.cvr.scenario(Scenario.RARE_NAME)
    card = cvr(stubs).read()
    assert card.name == "王\ue000" and card.flagged[0].described == "姓名第 2 个字（U+E000）"
    assert card.nation == "维吾尔" and card.valid_to is None
    stubs.cvr.scenario(Scenario.SUBSTITUTE)
    card = cvr(stubs).read()
    assert card.name == "王?" and card.flagged[0].char == "?" and card.nation == "维吾尔"   # code 05


def test_cvr_no_card_when_authentication_fails(stubs):
    stubs.cvr.scenario(Scenario.ABSENT)
    with pytest.raises(CardReaderError, match="^请将身份证放在读卡器上$"):
        cvr(stubs, timeout=0.4).read()
    assert stubs.cvr.finds > 1 and stubs.cvr.open_ports == 0


def test_cvr_card_removed_mid_read(stubs):
    stubs.cvr.scenario(Scenario.REMOVED)
    with pytest.raises(CardReaderError, match="被移开"):
        cvr(stubs).read()
    assert stubs.cvr.open_ports == 0


def test_cvr_expired_permit_and_foreign_cards(stubs):
    stubs.cvr.scenario(Scenario.EXPIRED)
    assert cvr(stubs).read().expired(date(2026, 1, 1))
    stubs.cvr.scenario(Scenario.PERMIT)
    assert cvr(stubs).read().card_type is CardType.PERMIT
    stubs.cvr.scenario(Scenario.FOREIGN)
    card = cvr(stubs).read()
    assert card.card_type is CardType.FOREIGN and card.name == "SMITH JOHN"


def test_cvr_slow_read_times_out(stubs):
    stubs.cvr.scenario(Scenario.SLOW, delay_ms=1500)
    with pytest.raises(CardReaderError, match="读卡超时"):
        cvr(stubs, timeout=0.2).read()
    deadline = time.monotonic() + 5
    while stubs.cvr.open_ports and time.monotonic() < deadline:
        time.sleep(0.05)
    assert stubs.cvr.open_ports == 0


# -- configuration -----------------------------------------------------------------------

def test_config_chooses_the_driver_and_a_missing_library_fails_only_at_read(stubs, tmp_path):
    assert make_card_reader(Config()).description == "模拟读卡器"
    config = Config(values={"idcard.driver": "cvr", "idcard.library": str(stubs.cvr.path),
                            "idcard.timeout_seconds": "2"})
    reader = make_card_reader(config)
    assert isinstance(reader, CvrReader) and reader.timeout == 2.0 and reader.read().name == "张三"
    devices = open_devices(Config(values={"idcard.driver": "sdt",
                                          "idcard.library": str(tmp_path / "libsdtapi.so")}))
    with pytest.raises(CardReaderError, match="无法加载读卡器驱动库"):
        devices.card_reader.read()
    devices = open_devices(Config(values={"idcard.driver": "sdt", "idcard.library": str(stubs.sdt.path),
                                          "idcard.photo_decoder": str(stubs.wlt.path),
                                          "idcard.port": "1001"}))
    assert devices.card_reader.read().photo is not None
