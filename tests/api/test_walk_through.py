"""One case from referral to official membership entirely through the API, each step by its own role."""

from datetime import date, timedelta

from tests.api.helpers import act, action, document
from tests.walk import referral


class Desk:
    """The people of the test organisation, each signed in once, passing the case along."""

    def __init__(self, api, case: dict):
        self.api, self.case, self.clients = api, case, {}

    def client(self, username: str):
        if username not in self.clients:
            self.clients[username] = self.api(username)
        return self.clients[username]

    def see(self, username: str) -> dict:
        response = self.client(username).get(f"/api/v1/cases/{self.case['id']}")
        assert response.status_code == 200, (username, response.get_json())
        self.case = response.get_json()
        return self.case

    def step(self, username: str, trigger: str, **fields) -> dict:
        seen = self.see(username)
        assert action(seen, trigger)["allowed"], (username, trigger, action(seen, trigger)["reasons"])
        response = act(self.client(username), seen, trigger, **fields)
        assert response.status_code == 200, (username, trigger, response.get_json())
        self.case = response.get_json()
        return self.case

    def task_step(self, username: str, trigger: str, **fields) -> dict:
        task_ids = action(self.see(username), trigger)["task_ids"]
        assert len(task_ids) == 1, (username, trigger)
        return self.step(username, trigger, task_id=task_ids[0], **fields)


def test_one_case_from_refer_to_official_member_through_the_api(api, web_org, clock):
    today = clock.now.date().isoformat()
    members = [m.id for m in web_org.members["cell"] if m.status == "official"]
    created = api("union_officer").post("/api/v1/cases", json=referral(web_org, full_name="Lê Thị Mai"))
    assert created.status_code == 201
    desk = Desk(api, created.get_json())

    desk.step("cell_secretary", "accept_referral", helper_ids=[members[0]], resolution_date=today)
    desk.step("cell_secretary", "enrol_course", course="Lớp nhận thức về Đảng khóa 3/2026", course_mode="at_enterprise")
    desk.step("cell_secretary", "pass_course", certificate_number="CN-NTVĐ 215", certificate_date=today)
    secretary = desk.client("cell_secretary")
    for form in ("1-KNĐ", "2-KNĐ"):
        assert secretary.post(f"/api/v1/cases/{desk.case['id']}/documents", json=document(form)).status_code == 201
    known = (clock.now.date() - timedelta(days=800)).isoformat()
    mother = {"full_name": "Phạm Thị Lan", "relation": "mother", "residence_unit": web_org.far_area.id}
    desk.step("cell_secretary", "request_verification", relatives=[mother],
              introducers=[{"member_id": members[1], "known_since": known}])
    assert desk.case["state"] == "verification"

    reply = {"outcome": "clear", "reply_number": "12/CV-ĐU", "reply_date": today}
    for committee in ("residential_committee", "far_committee"):
        inbox = desk.client(committee).get("/api/v1/tasks").get_json()["tasks"]
        assert [t["kind"] for t in inbox] == ["confirm_background"]
        desk.task_step(committee, "confirm_background", **reply)
    desk.step("cell_secretary", "complete_verification", opinions_summary="Nơi cư trú xác nhận lý lịch rõ ràng.")

    vote = {"official_members": 5, "excluded_members": 0, "present": 5, "votes_for": 4, "votes_against": 1,
            "meeting_date": today}
    desk.step("cell_secretary", "record_cell_vote", **vote)
    assert desk.case["state"] == "grassroots_review"
    desk.step("grassroots_committee", "record_grassroots_resolution", committee_members=7, votes_for=5,
              resolution_number="18-NQ/ĐU", resolution_date=today)
    desk.task_step("organizer", "appraise", appraisal="Hồ sơ đầy đủ.", recommendation="admit")
    desk.step("authority", "decide_admission", decision_number="245-QĐ/ĐU", decision_date=today)
    desk.step("cell_secretary", "hold_ceremony", ceremony_date=today, helper_ids=[members[0]])
    assert desk.case["state"] == "probation" and desk.case["dates"]["probation_ends"] == "2027-11-16"

    desk.task_step("cell_secretary", "record_new_member_course", certificate_number="ĐVM-88", certificate_date=today)
    early = action(desk.see("cell_secretary"), "start_recognition")
    assert early["allowed"] is False and [r["code"] for r in early["reasons"]] == ["probation_not_ended"]
    clock.set_day(date(2027, 11, 16))
    later = clock.now.date().isoformat()
    desk.step("cell_secretary", "start_recognition", self_review="Hoàn thành tốt nhiệm vụ.")
    desk.step("cell_secretary", "record_recognition_vote", **{**vote, "meeting_date": later})
    assert desk.case["stage"] == "grassroots_vote"
    desk.step("grassroots_committee", "record_recognition_vote", committee_members=7, votes_for=6,
              resolution_number="40-NQ/ĐU", resolution_date=later)
    desk.step("authority", "decide_recognition", decision_number="512-QĐ/ĐU", decision_date=later)

    final = desk.see("organizer")
    assert final["state"] == "official_member" and final["closed_on"] == later
    assert final["dates"]["official_since"] == "2027-11-16"
    assert final["tasks"] == [] and all(not a["allowed"] for a in final["actions"])
    actors = [(e["trigger"], e["actor"]) for e in final["history"]]
    assert actors[0] == ("refer", "union_officer")
    assert ("confirm_background", "far_committee") in actors
    assert ("appraise", "organizer") in actors and actors[-1] == ("decide_recognition", "authority")
    assert [e["seq"] for e in final["history"]] == list(range(1, len(actors) + 1))
