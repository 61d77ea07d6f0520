"""The bell, the list and marking read, as pages and as JSON."""

import pytest

from tests.walk import referral


def refer_one(api, web_org) -> dict:
    response = api("union_officer").post("/api/v1/cases", json=referral(web_org))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_json_lists_unread_notices_and_marks_them_read(api, web_org):
    case = refer_one(api, web_org)
    secretary = api("cell_secretary")
    listed = secretary.get("/api/v1/notifications").get_json()
    assert listed["unread_count"] == 1
    notice, = listed["notifications"]
    assert notice["case_id"] == case["id"] and notice["kind"] == "new_task" and notice["read_at"] is None
    assert set(notice["text"]) == {"vi", "en"}
    marked = secretary.post(f"/api/v1/notifications/{notice['id']}/read").get_json()
    assert marked["read_at"] is not None
    assert secretary.get("/api/v1/notifications?unread=1").get_json() == {"unread_count": 0, "notifications": []}


def test_nobody_reads_or_marks_another_persons_notices(api, web_org):
    refer_one(api, web_org)
    notice_id = api("cell_secretary").get("/api/v1/notifications").get_json()["notifications"][0]["id"]
    other = api("authority")
    assert other.get("/api/v1/notifications").get_json()["unread_count"] == 0
    assert other.post(f"/api/v1/notifications/{notice_id}/read").status_code == 404
    assert api().get("/api/v1/notifications").status_code == 401


def test_changes_need_a_json_body(api, web_org):
    secretary = api("cell_secretary")
    assert secretary.client.post("/api/v1/notifications/read-all", data={"x": "1"}).status_code == 415
    assert secretary.post("/api/v1/notifications/read-all").get_json() == {"marked": 0}


def test_the_email_preference_can_be_read_and_changed(api, web_org):
    secretary = api("cell_secretary")
    assert secretary.get("/api/v1/notifications/preferences").get_json() == {"email_mode": "immediate"}
    assert secretary.post("/api/v1/notifications/preferences", json={"email_mode": "weekly"}).status_code == 422
    assert secretary.post("/api/v1/notifications/preferences",
                          json={"email_mode": "daily_digest"}).get_json() == {"email_mode": "daily_digest"}
    assert secretary.get("/api/v1/notifications/preferences").get_json() == {"email_mode": "daily_digest"}


def test_the_page_lists_notices_under_the_bell_and_marks_them_read(api, web_org):
    refer_one(api, web_org)
    secretary = api("cell_secretary")
    page = secretary.get("/notifications/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'class="bell has-unread"' in html and "Việc mới" in html
    notice_id = secretary.get("/api/v1/notifications").get_json()["notifications"][0]["id"]
    response = secretary.client.post(f"/notifications/{notice_id}/read")
    assert response.status_code == 302
    assert 'class="bell has-unread"' not in secretary.get("/notifications/").get_data(as_text=True)
    assert secretary.client.post("/notifications/preferences", data={"email_mode": "off"}).status_code == 302
    assert secretary.get("/api/v1/notifications/preferences").get_json() == {"email_mode": "off"}


def test_the_page_needs_a_signed_in_person(api, web_org):
    assert api().get("/notifications/").status_code in (302, 401)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example/",
                                    "\\\\evil.example", "/\t/evil.example", "/\n/evil.example", "javascript:alert(1)",
                                    "evil.example", ""])
def test_marking_read_returns_only_to_a_page_of_this_site(api, web_org, target):
    refer_one(api, web_org)
    secretary = api("cell_secretary")
    notice_id = secretary.get("/api/v1/notifications").get_json()["notifications"][0]["id"]
    response = secretary.client.post(f"/notifications/{notice_id}/read", data={"next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/notifications/"


def test_marking_read_returns_to_the_page_it_was_marked_on(api, web_org):
    case = refer_one(api, web_org)
    secretary = api("cell_secretary")
    notice_id = secretary.get("/api/v1/notifications").get_json()["notifications"][0]["id"]
    back = f"/cases/{case['id']}?tab=history#events"
    response = secretary.client.post(f"/notifications/{notice_id}/read", data={"next": back})
    assert response.headers["Location"] == back
