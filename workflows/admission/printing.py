"""The admission forms printed from a case, in the procedure's order, each filled from the step that recorded it
(templates/admission/printing/, on the shared sheet of templates/printing/):

- 5B-KNĐ the residence committee's opinion of the candidate (its reply to the verification request);
- 5-KNĐ  the cell committee's summary of opinions (complete_verification);
- 6-KNĐ  the cell's resolution proposing admission (record_cell_vote);
- 8-KNĐ  the grassroots committee's resolution (record_grassroots_resolution);
- 9-KNĐ  the admission decision (decide_admission);
- the reminder to make the party-member file (version 2's record_member_file task, set at the ceremony);
- 13-KNĐ the cell's resolution proposing recognition as an official member, 15-KNĐ the grassroots committee's
  (the two stages of record_recognition_vote), and the recognition decision (decide_recognition).

- 10-KNĐ the probationer's self-review, 11-KNĐ the helper's review and 12-KNĐ the summary of opinions on the
  probationer, from the texts start_recognition records (each once it was written there).

No step records a union's own opinion sheet on a candidate (5C-KNĐ), so it is not printed here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from casework.engine.packages import Printable
from casework.models import Event, PartyMember, Task, TaskStatus, Unit

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from casework.models import Case


def _unit(session: Session, unit_id: int | None) -> Unit | None:
    return session.get(Unit, unit_id) if unit_id is not None else None


def _replies(session: Session, case: Case, _event: Event) -> dict[str, Any]:
    """Each committee's reply to the verification request, for the summary."""
    replies = session.scalars(sa.select(Task).where(Task.case_id == case.id, Task.kind == "confirm_background",
                                                    Task.status == TaskStatus.DONE).order_by(Task.id)).all()
    return {"replies": replies}


def _about_candidate(task: Task) -> bool:
    """A verification task about the candidate (the others are about relatives)."""
    return any(person.get("relation") == "candidate" for person in (task.subject or {}).get("people", []))


def _residence_opinions(session: Session, case: Case, _event: Event) -> dict[str, Any]:
    """The replies of the committees where the candidate lives, one sheet each; none answered yet, no form."""
    opinions = [t for t in _replies(session, case, _event)["replies"] if _about_candidate(t)]
    if not opinions:
        return {"event": None}
    return {"opinions": opinions, "event": _reply_event(session, opinions[-1])}


def _reply_event(session: Session, task: Task) -> Event | None:
    return session.scalar(sa.select(Event).where(Event.task_id == task.id).order_by(Event.seq.desc()).limit(1))


def _latest_data(session: Session, case: Case, trigger: str) -> dict[str, Any]:
    event = session.scalar(sa.select(Event).where(Event.case_id == case.id, Event.trigger == trigger)
                           .order_by(Event.seq.desc()).limit(1))
    return event.data if event is not None else {}


def _units(session: Session, case: Case, _event: Event | None = None) -> dict[str, Any]:
    """The committees a form names besides its issuer, and the earlier papers it cites (the cell's resolution,
    the admission decision), as the case recorded them."""
    return {"grassroots": _unit(session, case.grassroots_unit_id), "authority": _unit(session, case.authority_unit_id),
            "cell_vote": _latest_data(session, case, "record_cell_vote"),
            "admission": _latest_data(session, case, "decide_admission")}


def _counted(session: Session, case: Case, event: Event) -> dict[str, Any]:
    """The official members a cell vote's majority is taken of: those of the register less those not counted."""
    counted = int(event.data.get("official_members") or 0) - int(event.data.get("excluded_members") or 0)
    return {"counted": counted, **_units(session, case)}


def _member_file(session: Session, case: Case, _event: Event) -> dict[str, Any]:
    """Version 2 sets the party-member file's task at the ceremony; a case on version 1 has none to remind of."""
    task = session.scalar(sa.select(Task).where(Task.case_id == case.id, Task.kind == "record_member_file")
                          .order_by(Task.id.desc()).limit(1))
    if task is None:
        return {"event": None, "missing": {
            "vi": f"Hồ sơ này theo quy trình phiên bản {case.workflow_version}, không có việc lập hồ sơ đảng viên "
                  "trong thời gian dự bị để nhắc.",
            "en": f"This case follows version {case.workflow_version} of the procedure, which sets no party-member "
                  "file task during probation to remind of."}}
    return {"task": task, **_units(session, case)}


def _recognition_stage(grassroots: bool):
    """The latest recognition vote of one stage: the cell's (13-KNĐ) or the grassroots committee's (15-KNĐ),
    told apart by the committee's own count, which only its stage records."""

    def context(session: Session, case: Case, _event: Event) -> dict[str, Any]:
        votes = session.scalars(sa.select(Event).where(Event.case_id == case.id,
                                                       Event.trigger == "record_recognition_vote")
                                .order_by(Event.seq.desc())).all()
        event = next((e for e in votes if ("committee_members" in e.data) == grassroots), None)
        if event is None:
            return {"event": None}
        outcome = (event.changes or {}).get("facts", {}).get("last_recognition_vote", {})
        extra = _units(session, case) if grassroots else _counted(session, case, event)
        return {**extra, "event": event, "passed": outcome.get("passed", True)}

    return context


def _probation_paper(field: str, label: dict[str, str]):
    """A text start_recognition recorded (10-, 11-, 12-KNĐ): printed once written; a step that left it empty
    says so. The helpers assigned at the ceremony sign the helper's review."""

    def context(session: Session, case: Case, event: Event) -> dict[str, Any]:
        if not (event.data.get(field) or "").strip():
            return {"event": None, "missing": {
                "vi": f"Bước bắt đầu xét công nhận chính thức đã ghi nhưng không có {label['vi']}.",
                "en": f"The recognition review was started without the {label['en']}."}}
        ids = _latest_data(session, case, "hold_ceremony").get("helper_ids") or []
        helpers = session.scalars(sa.select(PartyMember).where(PartyMember.id.in_(ids))).all() if ids else []
        return {"text": event.data[field], "helpers": helpers, **_units(session, case)}

    return context


PRINTABLES = (
    Printable("5b-knd", {"vi": "5B-KNĐ · Nhận xét của chi ủy nơi cư trú",
                         "en": "5B-KNĐ · Residence committee's opinion"},
              "admission/printing/residence_opinion.html", "confirm_background", _residence_opinions),
    Printable("5-knd", {"vi": "5-KNĐ · Tổng hợp ý kiến nhận xét", "en": "5-KNĐ · Summary of opinions"},
              "admission/printing/opinions_summary.html", "complete_verification", _replies),
    Printable("6-knd", {"vi": "6-KNĐ · Nghị quyết chi bộ", "en": "6-KNĐ · Cell resolution"},
              "admission/printing/cell_resolution.html", "record_cell_vote", _counted),
    Printable("8-knd", {"vi": "8-KNĐ · Nghị quyết đảng ủy cơ sở", "en": "8-KNĐ · Grassroots resolution"},
              "admission/printing/grassroots_resolution.html", "record_grassroots_resolution", _units),
    Printable("9-knd", {"vi": "9-KNĐ · Quyết định kết nạp", "en": "9-KNĐ · Admission decision"},
              "admission/printing/admission_decision.html", "decide_admission", _units),
    Printable("member-file", {"vi": "Nhắc lập hồ sơ đảng viên", "en": "Party-member file reminder"},
              "admission/printing/member_file_reminder.html", "hold_ceremony", _member_file),
    Printable("10-knd", {"vi": "10-KNĐ · Bản tự kiểm điểm của đảng viên dự bị",
                         "en": "10-KNĐ · Probationer's self-review"},
              "admission/printing/self_review.html", "start_recognition",
              _probation_paper("self_review", {"vi": "bản tự kiểm điểm", "en": "self-review"})),
    Printable("11-knd", {"vi": "11-KNĐ · Nhận xét của đảng viên giúp đỡ", "en": "11-KNĐ · Helper's review"},
              "admission/printing/helper_review.html", "start_recognition",
              _probation_paper("helper_review", {"vi": "bản nhận xét của đảng viên giúp đỡ", "en": "helper's review"})),
    Printable("12-knd", {"vi": "12-KNĐ · Tổng hợp ý kiến nhận xét đối với đảng viên dự bị",
                         "en": "12-KNĐ · Summary of opinions on the probationer"},
              "admission/printing/probation_opinions.html", "start_recognition",
              _probation_paper("opinions", {"vi": "ý kiến nhận xét của tổ chức đoàn thể",
                                            "en": "organisations' opinions"})),
    Printable("13-knd", {"vi": "13-KNĐ · Nghị quyết chi bộ đề nghị công nhận chính thức",
                         "en": "13-KNĐ · Cell resolution on recognition"},
              "admission/printing/recognition_cell_resolution.html", "record_recognition_vote",
              _recognition_stage(grassroots=False)),
    Printable("15-knd", {"vi": "15-KNĐ · Nghị quyết đảng ủy cơ sở đề nghị công nhận chính thức",
                         "en": "15-KNĐ · Grassroots resolution on recognition"},
              "admission/printing/recognition_grassroots_resolution.html", "record_recognition_vote",
              _recognition_stage(grassroots=True)),
    Printable("recognition", {"vi": "Quyết định công nhận đảng viên chính thức", "en": "Recognition decision"},
              "admission/printing/recognition_decision.html", "decide_recognition", _units),
)
