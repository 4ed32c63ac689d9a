"""A signed log bundle made by an earlier version and kept as a file: today's code must
still accept it, byte for byte. A change to the canonical form, the entry hash, the
signature check, the rotation statements or the logged action names fails here, where a
bundle signed and checked in the same run would not notice."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from pathlib import Path

import pytest

from hallclient.core import bundle, eventlog
from hallclient.reports import replay

STORED = json.loads((Path(__file__).parents[1] / "fixtures" / "signed_bundle.json")
                    .read_text(encoding="utf-8"))
DOC = STORED["bundle"]


def test_the_stored_bundle_is_still_whole_and_signed():
    entries = bundle.check(copy.deepcopy(DOC))
    assert [e["seq"] for e in entries] == [41, 42, 43, 44, 45]
    assert [e["action"] for e in entries] == ["sign_in", "issue", "call", "intake_accept",
                                              "rating"]


def test_its_chain_is_the_log_hash_chain():
    prev = DOC["prev_hash"]
    for e in DOC["entries"]:
        assert eventlog.entry_hash(prev, e) == e["hash"]
        prev = e["hash"]
    assert prev == DOC["head_hash"]
    assert eventlog.canonical(DOC["entries"][3]).decode("utf-8") == (
        '{"action":"intake_accept","at":"2026-11-26T09:31:45.250+08:00","clerk":"li",'
        '"detail":"{\\"case_no\\":\\"33010920261126W01AAA0001\\",\\"item\\":\\"个体工商户登记'
        '（设立登记）\\",\\"missing\\":0}","device":"7f3a9c0e5b2d4a61","seq":44,"ticket":null,'
        '"window":1}')


def test_the_key_change_it_carries_leads_from_the_registered_key():
    path = bundle.rotation_path(DOC["key_rotations"], DOC["device"],
                                STORED["registered_public_key"], DOC["public_key"])
    assert [s["new_public_key"] for s in path] == [DOC["public_key"]]
    assert bundle.fingerprint(STORED["registered_public_key"]) == (
        "0533 6f93 6713 015a 9c0a 1a28 7153 ec89")
    assert bundle.fingerprint(DOC["public_key"]) == "7eff 55ff 5092 0456 c454 dc20 05d6 02cc"


@pytest.mark.parametrize("field, value, reason", [
    ("hall", "别的中心", "签名无效"),
    ("count", 4, "截短"),
    ("format", "hallclient-log-bundle/2", "版本不支持"),
])
def test_a_changed_stored_bundle_is_refused(field, value, reason):
    doc = copy.deepcopy(DOC)
    doc[field] = value
    with pytest.raises(bundle.BundleError, match=reason):
        bundle.check(doc)


def test_the_county_counts_what_the_stored_log_says():
    tickets, events = replay.tickets_from_log(DOC["entries"])
    (ticket,) = tickets
    assert (ticket.number, ticket.service, ticket.state, ticket.window, ticket.clerk) == (
        "A001", "ZH", "called", 1, "li")
    assert ticket.called_at == datetime.fromisoformat("2026-11-26T09:10:00.000+08:00")
    assert [e.action for e in events] == ["sign_in", "call"]
    (case,), (rating,) = replay.records_from_log(DOC["entries"])
    assert (case.case_no, case.item_name, case.decision, case.visits) == (
        "33010920261126W01AAA0001", "个体工商户登记（设立登记）", "accept", 1)
    assert (rating.level, rating.ticket, rating.reasons, rating.window, rating.clerk) == (
        "very_satisfied", "A001", ("服务热情",), 1, "li")
    assert (case.window, case.clerk, case.upload) == (1, "li", "none")
