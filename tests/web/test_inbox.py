"""Home = the inbox: every hat's tasks, overdue first and marked, counts, filters, keyset paging."""

from __future__ import annotations

import sqlalchemy as sa

from casework.extensions import db
from casework.models import Task
from tests.web.conftest import text


def test_each_role_lands_on_its_own_tasks(page, walker):
    walker(full_name="Hoàng Văn Nam").to("verification")
    secretary = text(page("cell_secretary").get("/"))
    assert "Hoàng Văn Nam" not in secretary, "verification waits for the residential committee, not the cell"
    committee = text(page("residential_committee").get("/"))
    assert "Hoàng Văn Nam" in committee and "Cấp ủy nơi cư trú @ Chi bộ khu phố 3" in committee


def test_overdue_tasks_come_first_and_are_marked(page, walker, clock):
    walker(full_name="Người Cũ").to("sympathiser")
    clock.advance(days=200)
    walker(full_name="Người Mới")
    body = text(page("cell_secretary").get("/"))
    assert body.index("Người Cũ") < body.index("Người Mới")
    assert "Quá hạn" in body and "1 quá hạn" in body


def test_a_person_with_two_hats_sees_both_and_which_is_which(app, page, walker, web_org):
    from tests.factories import RoleFactory, use_session

    use_session(db.session)
    RoleFactory(user=web_org.users["cell_secretary"], unit=web_org.direct_cell, role="cell_secretary")
    db.session.commit()
    walker(full_name="Ở Hòa Phát")
    walker(full_name="Ở Minh Long", workplace_unit=web_org.direct_enterprise.id, referrer="direct_union_officer",
           referring_org=web_org.direct_union.id)
    body = text(page("cell_secretary").get("/"))
    assert "Bí thư chi bộ @ Chi bộ Công ty Hòa Phát" in body and "Bí thư chi bộ @ Chi bộ Công ty Minh Long" in body
    only_one = text(page("cell_secretary").get(f"/?unit={web_org.direct_cell.id}"))
    assert "Ở Minh Long" in only_one and "Ở Hòa Phát" not in only_one


def test_filters_by_name_state_and_overdue(page, walker, clock):
    walker(full_name="Trần Thị Lan").to("sympathiser")
    clock.advance(days=200)
    walker(full_name="Phạm Văn Hùng")
    client = page("cell_secretary")
    assert "Phạm Văn Hùng" not in text(client.get("/?name=Lan"))
    assert "Trần Thị Lan" in text(client.get("/?name=Lan"))
    by_state = text(client.get("/?state=referred"))
    assert "Phạm Văn Hùng" in by_state and "Trần Thị Lan" not in by_state
    overdue = text(client.get("/?overdue=y"))
    assert "Trần Thị Lan" in overdue and "Phạm Văn Hùng" not in overdue


def test_paging_walks_every_task_once(app, page, walker, monkeypatch):
    from casework.web.inbox import routes

    monkeypatch.setattr(routes, "PAGE_SIZE", 2)
    for n in range(5):
        walker(full_name=f"Ứng viên số {n}")
    client = page("cell_secretary")
    seen, url = [], "/"
    while url:
        body = client.get(url).get_data(as_text=True)
        seen += [n for n in range(5) if f"Ứng viên số {n}" in body]
        nxt = __import__("re").search(r'rel="next" href="([^"]+)"', body)
        url = nxt.group(1).replace("&amp;", "&") if nxt else None
    assert sorted(seen) == list(range(5))


def _statements_for(client, url: str) -> int:
    statements: list[str] = []

    def listener(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", listener)
    client.get(url)
    sa.event.remove(db.engine, "before_cursor_execute", listener)
    return len(statements)


def test_the_inbox_query_count_does_not_grow_with_rows(app, page, walker):
    client = page("cell_secretary")
    counts = []
    for _ in range(2):
        for _ in range(3):
            walker()
        counts.append(_statements_for(client, "/"))
    assert counts[0] == counts[1]
    assert db.session.scalar(sa.select(sa.func.count(Task.id))) >= 6


def test_an_empty_inbox_says_so(page):
    assert "Không có việc nào đang chờ bạn." in text(page("organizer").get("/"))
