"""Each service puts each job on the right lane (services on the inline runner)."""

from __future__ import annotations

import pytest

from hallclient.core.accounts import Role
from hallclient.core.hall import WindowSnapshot
from hallclient.devices.scanner import ScannerError
from hallclient.services.context import DbContext, DeviceContext, HallContext
from hallclient.services.intake_service import IntakeService
from hallclient.services.session import SessionService
from hallclient.services.tasks import InlineRunner
from hallclient.store import catalog_repo

from ..recipes import TINY_PNG

PAGE = TINY_PNG   # a page that decodes, as a scanned page does


class Scanner:
    def __init__(self, fail: str = "") -> None:
        self.fail = fail

    def scan(self) -> bytes:
        if self.fail:
            raise ScannerError(self.fail)
        return PAGE


class HallQueueStandIn:
    """What the hall lane's queue was asked, in order."""

    def __init__(self) -> None:
        self.asked: list[tuple] = []

    def sign_in(self, window: int, clerk: str) -> WindowSnapshot:
        self.asked.append(("sign_in", window, clerk))
        return WindowSnapshot(window, "open", clerk, None, link="online")

    def record(self, action: str, window, clerk, detail=None) -> None:
        self.asked.append((action, window, clerk))

    def close(self) -> None:
        pass


@pytest.fixture
def db_ctx(db, queue, clock, demo_catalog, tmp_path):
    from hallclient.services.case_desk import CaseDesk
    from hallclient.store.attachments import AttachmentStore

    with db.write() as conn:
        catalog_repo.import_items(conn, demo_catalog["items"], demo_catalog["version"])
    ctx = DbContext(db=db, clock=clock, queue=queue,
                    desk=CaseDesk(db, AttachmentStore(tmp_path / "att"), clock=clock))
    ctx.add_clerk("li", "李䶮", Role.CLERK, "pw-1234")
    return ctx


def intake_with_draft(runner: InlineRunner) -> IntakeService:
    intake = IntakeService(runner)
    intake.attach("li", 1)
    found: list = []
    intake.items_found.connect(found.append)
    intake.search("个体工商户登记")
    intake.choose(found[0][0].impl_code)
    runner.ran.clear()
    return intake


def test_a_scan_is_read_on_the_device_lane_and_stored_on_the_db_lane(qapp, db_ctx):
    runner = InlineRunner(db=db_ctx, device=DeviceContext(scanner=Scanner()))
    intake = intake_with_draft(runner)
    code = intake.draft.materials[0].code
    intake.scan_material(code)
    assert runner.ran == ["device", "db"]
    assert [f.mime for f in intake.draft.materials[0].files] == ["image/png"]


def test_a_failed_scan_never_reaches_the_db_lane(qapp, db_ctx):
    runner = InlineRunner(db=db_ctx, device=DeviceContext(scanner=Scanner("扫描超时，请检查扫描仪是否卡纸")))
    intake = intake_with_draft(runner)
    failed: list = []
    intake.material_failed.connect(lambda code, message: failed.append(message))
    intake.scan_material(intake.draft.materials[0].code)
    assert runner.ran == ["device"] and failed == ["扫描超时，请检查扫描仪是否卡纸"]


def test_the_card_is_read_on_the_device_lane(qapp, db_ctx):
    runner = InlineRunner(db=db_ctx)
    intake = intake_with_draft(runner)
    cards: list = []
    intake.card_read.connect(cards.append)
    intake.read_card()
    assert runner.ran == ["device"] and intake.draft.applicant.name == cards[0].name


def test_sign_in_checks_the_password_on_the_db_lane_and_signs_in_at_the_hall(qapp, db_ctx, clock):
    hall = HallQueueStandIn()
    runner = InlineRunner(db=db_ctx, hall=HallContext(hall, db_ctx.db, clock))
    session = SessionService(runner)
    signed: list = []
    failed: list = []
    session.signed_in.connect(lambda clerk, window, snap: signed.append((clerk.username, window)))
    session.sign_in_failed.connect(failed.append)
    session.sign_in("li", "wrong", 3)
    assert failed == ["用户名或密码错误"] and runner.ran == ["db", "hall"]
    session.sign_in("li", "pw-1234", 3)
    assert signed == [("li", 3)] and runner.ran == ["db", "hall", "db", "hall"]
    assert hall.asked == [("sign_in_failed", 3, None), ("sign_in", 3, "li")]


def test_with_this_pcs_queue_sign_in_stays_on_the_db_lane(qapp, db_ctx):
    runner = InlineRunner(db=db_ctx)
    session = SessionService(runner)
    signed: list = []
    session.signed_in.connect(lambda clerk, window, snap: signed.append(snap.window))
    session.sign_in("li", "pw-1234", 1)
    assert signed == [1] and runner.ran == ["db", "db"]
