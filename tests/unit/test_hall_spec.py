"""A hall description from a file or a request: imported whole, or refused in Chinese."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hallclient.store import hall_repo
from hallclient.store.db import open_database
from hallclient.store.hall_repo import HallConfigError

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=12)
service = st.fixed_dictionaries({"code": json_values | st.sampled_from(["ZH", "SC"]),
                                 "name": json_values | st.just("综合"),
                                 "prefix": json_values | st.sampled_from(["A", "中", "AB"])})
window = st.fixed_dictionaries({"number": json_values | st.integers(-5, 2**70),
                                "name": json_values,
                                "services": json_values | st.dictionaries(
                                    st.sampled_from(["ZH", "SC", "XX"]), json_values)})
specs = json_values | st.fixed_dictionaries({"services": st.lists(service, max_size=3) | json_values,
                                             "windows": st.lists(window, max_size=3) | json_values})


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    database = open_database(tmp_path_factory.mktemp("hall") / "h.db")
    yield database
    database.close()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=specs)
def test_any_description_is_imported_or_refused_by_name_and_a_refusal_changes_nothing(db, spec):
    before = db.conn.execute("SELECT count(*) FROM windows").fetchone()[0]
    try:
        with db.write() as conn:
            hall_repo.import_hall(conn, spec)
    except HallConfigError as exc:
        assert str(exc) and not str(exc).isascii()
        assert db.conn.execute("SELECT count(*) FROM windows").fetchone()[0] == before
    for number, in db.conn.execute("SELECT number FROM windows"):
        assert 1 <= number <= hall_repo.MAX_WINDOW


def test_the_demo_hall_and_a_window_listing_its_services_by_code_import():
    services, windows = hall_repo.check_hall_spec({
        "services": [{"code": "ZH", "name": "综合", "prefix": "a"}],
        "windows": [{"number": 1, "name": "一", "services": ["ZH"]}, {"number": 2}]})
    assert services == [("ZH", "综合", "A")]
    assert windows == [(1, "一", {"ZH": 1.0}), (2, "", {})]
