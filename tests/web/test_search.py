"""Search across every case in one's scope: each criterion, its boundaries, paging, and the scope itself (another
unit's candidate is never found, whatever is typed)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from casework.extensions import db
from tests.web.conftest import text


def _names(client, query: str) -> str:
    response = client.get(f"/search/?{query}")
    assert response.status_code == 200
    return text(response)


def test_finds_by_name_national_id_and_case_number(page, walker):
    case = walker(full_name="Vũ Thị Hạnh", national_id="001299000111").case
    walker(full_name="Đặng Văn Bình")
    client = page("cell_secretary")
    assert "Vũ Thị Hạnh" in _names(client, "name=hạnh") or "Vũ Thị Hạnh" in _names(client, "name=Hạnh")
    by_id = _names(client, "identifier=001299000111")
    assert "Vũ Thị Hạnh" in by_id and "Đặng Văn Bình" not in by_id
    by_number = _names(client, f"case_number={case.id}")
    assert "Vũ Thị Hạnh" in by_number and "Đặng Văn Bình" not in by_number


def test_another_units_candidate_is_never_found(page, walker, web_org):
    ours = walker(full_name="Trùng Tên Nguyễn", national_id="001299000222").case
    theirs = walker(full_name="Trùng Tên Nguyễn", national_id="001299000333",
                    workplace_unit=web_org.other_enterprise.id, referrer="other_union_officer",
                    referring_org=web_org.other_union.id).case
    client = page("cell_secretary")
    for query in ("name=Trùng", "identifier=001299000333", f"case_number={theirs.id}", "status=open",
                  f"unit={web_org.other_cell.id}"):
        body = client.get(f"/search/?{query}").get_data(as_text=True)
        assert f"/cases/{theirs.id}\"" not in body, query
    assert f"/cases/{ours.id}\"" in client.get("/search/?name=Trùng").get_data(as_text=True)
    other = page("other_secretary").get("/search/?name=Trùng").get_data(as_text=True)
    assert f"/cases/{theirs.id}\"" in other and f"/cases/{ours.id}\"" not in other


def test_the_organizer_searches_the_whole_commune_only(page, walker, web_org):
    here = walker(full_name="Ở Minh Long", workplace_unit=web_org.direct_enterprise.id, referrer="direct_union_officer",
                  referring_org=web_org.direct_union.id).case
    far = walker(full_name="Ở Tiên Sơn", workplace_unit=web_org.other_enterprise.id, referrer="other_union_officer",
                 referring_org=web_org.other_union.id).case
    body = page("organizer").get("/search/?status=open").get_data(as_text=True)
    assert f"/cases/{here.id}\"" in body and f"/cases/{far.id}\"" not in body
    by_unit = page("organizer").get(f"/search/?unit={web_org.direct_cell.id}").get_data(as_text=True)
    assert f"/cases/{here.id}\"" in by_unit


def test_state_and_closed_cases(page, walker):
    on = walker(full_name="Đã Vào Lớp").to("sympathiser")
    walker(full_name="Mới Giới Thiệu")
    body = _names(page("cell_secretary"), f"state={on.state}")
    assert "Đã Vào Lớp" in body and "Mới Giới Thiệu" not in body
    assert "Mới Giới Thiệu" not in _names(page("cell_secretary"), "status=closed")


def test_opened_date_range_includes_both_ends(page, walker, clock):
    walker(full_name="Mở Hôm Nay")
    today = clock().date()
    client = page("cell_secretary")
    dmy = today.strftime("%d/%m/%Y")
    assert "Mở Hôm Nay" in _names(client, f"opened_from={dmy}&opened_to={dmy}")
    next_day = (today + timedelta(days=1)).strftime("%d/%m/%Y")
    assert "Mở Hôm Nay" not in _names(client, f"opened_from={next_day}")
    day_before = (today - timedelta(days=1)).strftime("%d/%m/%Y")
    assert "Mở Hôm Nay" not in _names(client, f"opened_to={day_before}")


@pytest.mark.parametrize(("query", "message"), [
    ("opened_from=31/02/2026", "Hãy nhập ngày hợp lệ dạng dd/mm/yyyy."),
    ("case_number=abc", "Số hồ sơ là số ghi trên trang hồ sơ, ví dụ 125."),
    ("case_number=abc&opened_from=1/1/2026", "Số hồ sơ là số ghi trên trang hồ sơ, ví dụ 125."),
])
def test_bad_input_says_what_to_do_and_searches_nothing(page, walker, query, message):
    walker(full_name="Không Được Tìm")
    body = _names(page("cell_secretary"), query)
    assert message in body and "Không Được Tìm" not in body


def test_an_empty_search_asks_for_a_box(page, walker):
    walker(full_name="Ai Đó")
    body = _names(page("cell_secretary"), "name=")
    assert "Ai Đó" not in body


def test_paging_walks_every_match_once_in_constant_statements(app, page, walker, monkeypatch):
    from casework.web.search import routes

    monkeypatch.setattr(routes, "PAGE_SIZE", 2)
    for n in range(5):
        walker(full_name=f"Tìm Thấy {n}")
    client = page("cell_secretary")
    seen, url, statements = [], "/search/?name=Tìm+Thấy", []
    while url:
        counted: list[str] = []

        def listener(*args, seen=counted):
            seen.append(args[2])

        sa.event.listen(db.engine, "before_cursor_execute", listener)
        body = client.get(url).get_data(as_text=True)
        sa.event.remove(db.engine, "before_cursor_execute", listener)
        statements.append(len(counted))  # one call per statement
        seen += [n for n in range(5) if f"Tìm Thấy {n}" in body]
        nxt = re.search(r'rel="next" href="([^"]+)"', body)
        url = nxt.group(1).replace("&amp;", "&") if nxt else None
    assert sorted(seen) == list(range(5))
    assert len(set(statements[1:])) == 1, statements
