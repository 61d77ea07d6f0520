"""The founding workflow's guards (workflows/founding/v1.yaml), each registered by name."""

from __future__ import annotations

import sqlalchemy as sa

from casework.engine.context import StepContext
from casework.engine.guards import GuardResult, guard
from casework.engine.reasons import Reason
from casework.models import Case, MemberStatus, Task, TaskStatus, Unit, UnitKind


def round_tasks(ctx: StepContext, kind: str) -> list[Task]:
    """Tasks of a kind created since the case last entered its current state (this round), not cancelled."""
    return [t for t in ctx.case.tasks if t.kind == kind and t.entry_seq == ctx.case.state_seq
            and t.status != TaskStatus.CANCELLED]


# --- Identifying the enterprise ---------------------------------------------------------------------


@guard("enterprise_without_party_org", needs=("enterprise_unit",))
def enterprise_without_party_org(ctx: StepContext) -> GuardResult:
    enterprise = ctx.session.get(Unit, ctx.data["enterprise_unit"])
    if enterprise.has_party_org:
        return Reason("enterprise_has_party_org", f"{enterprise.name} đã có tổ chức đảng.",
                      f"{enterprise.name} already has a party organisation.", {"unit_id": enterprise.id})
    return None


@guard("no_other_open_founding", needs=("enterprise_unit",))
def no_other_open_founding(ctx: StepContext) -> GuardResult:
    enterprise_id = ctx.data["enterprise_unit"]
    other = ctx.session.scalar(sa.select(Case.id).where(Case.workflow == ctx.workflow.name,
                                                        Case.subject_key == str(enterprise_id)))
    if other is not None and other != ctx.case.id:
        return Reason("open_founding_exists",
                      "Doanh nghiệp này đang có một hồ sơ thành lập tổ chức đảng chưa kết thúc.",
                      "This enterprise already has an open founding case.", {"case_id": other})
    return None


# --- Engaging the owner -----------------------------------------------------------------------------


@guard("zone_board_letter_for_zone_enterprise", needs=("contact_person",))
def zone_board_letter_for_zone_enterprise(ctx: StepContext) -> GuardResult:
    """For an enterprise in an industrial or economic zone, the letter asking the zone's board to help."""
    enterprise = ctx.case.enterprise
    if enterprise is not None and enterprise.industrial_zone and not ctx.data.get("zone_board_letter"):
        return Reason("zone_board_letter_missing",
                      "Doanh nghiệp trong khu công nghiệp: cần văn bản gửi Ban quản lý khu công nghiệp.",
                      "An enterprise in an industrial zone: the letter to the zone management board is needed.")
    return None


@guard("owner_meeting_recorded")
def owner_meeting_recorded(ctx: StepContext) -> GuardResult:
    if not ctx.case.facts.get("owner_meetings"):
        return Reason("no_owner_meeting", "Chưa ghi buổi gặp nào với chủ doanh nghiệp.",
                      "No meeting with the owner has been recorded yet.")
    return None


@guard("members_listed")
def members_listed(ctx: StepContext) -> GuardResult:
    """Gathering needs someone to gather: each listed member's cell gets a transfer task."""
    if not ctx.fact("members"):
        return Reason("no_members_listed", "Chưa có danh sách đảng viên đang làm việc tại doanh nghiệp.",
                      "No party members working at the enterprise are listed.")
    return None


# --- Gathering the members --------------------------------------------------------------------------


@guard("transfer_answer_complete", needs=("outcome",))
def transfer_answer_complete(ctx: StepContext) -> GuardResult:
    """A transfer gives its number and date; a transfer not made says why."""
    if ctx.data["outcome"] == "transferred" and not (ctx.data.get("transfer_number") and ctx.data.get("transfer_date")):
        return Reason("transfer_details_missing", "Cần số và ngày giấy giới thiệu sinh hoạt đảng.",
                      "The transfer's number and date are needed.")
    if ctx.data["outcome"] == "not_transferred" and not ctx.data.get("reason"):
        return Reason("transfer_reason_missing", "Cần ghi lý do chưa chuyển sinh hoạt đảng.",
                      "Say why the members were not transferred.")
    return None


@guard("transfers_answered")
def transfers_answered(ctx: StepContext) -> GuardResult:
    waiting = [t for t in round_tasks(ctx, "confirm_transfer") if t.status == TaskStatus.OPEN]
    if waiting:
        names = ", ".join(t.unit.name for t in waiting)
        return Reason("transfers_pending", f"Còn {len(waiting)} chi bộ chưa trả lời: {names}.",
                      f"{len(waiting)} cell(s) have not answered yet: {names}.", {"waiting": len(waiting)})
    return None


def transferred_people(ctx: StepContext) -> list[dict]:
    """Everyone listed on this round's transfer tasks answered ``transferred``, with the transfer's details."""
    people = []
    for task in round_tasks(ctx, "confirm_transfer"):
        if task.status == TaskStatus.DONE and task.outcome.get("outcome") == "transferred":
            for person in (task.subject or {}).get("people", []):
                people.append({**person, "from_cell": task.unit_id,
                               "transfer_number": task.outcome.get("transfer_number"),
                               "transfer_date": task.outcome.get("transfer_date")})
    return people


@guard("enough_official_members_transferred")
def enough_official_members_transferred(ctx: StepContext) -> GuardResult:
    """Party Charter art. 21: three official members (``min_official_members_to_found``) found an organisation."""
    official = sum(1 for p in transferred_people(ctx) if p.get("status") == MemberStatus.OFFICIAL)
    needed = ctx.rules.min_official_members_to_found
    if official < needed:
        return Reason("too_few_official_members",
                      f"Mới có {official} đảng viên chính thức chuyển sinh hoạt về doanh nghiệp; cần ít nhất {needed}.",
                      f"Only {official} official member(s) transferred to the enterprise; "
                      f"at least {needed} are needed.",
                      {"official": official, "needed": needed})
    return None


# --- The proposal and the decision ------------------------------------------------------------------

# Party committees that are grassroots committees (đảng ủy cơ sở): a cell may be founded under one.
_GRASSROOTS_KINDS = frozenset({UnitKind.GRASSROOTS_COMMITTEE, UnitKind.COMMUNE_COMMITTEE})


@guard("reports_to_allowed_by_form", needs=("reports_to", "organisation_form"))
def reports_to_allowed_by_form(ctx: StepContext) -> GuardResult:
    """The unit the new organisation reports to lies above the enterprise, or is the case's founding committee
    (an administrator may have set one elsewhere in the tree, workflows/founding/committees.py) or above it; a cell
    under a grassroots committee reports to a grassroots committee, a grassroots cell to a committee that admits
    members (above grassroots)."""
    reports_to = ctx.session.get(Unit, ctx.data["reports_to"])
    enterprise = ctx.case.enterprise
    committee = ctx.session.get(Unit, ctx.case.owning_cell_id) if ctx.case.owning_cell_id else None
    above = set(enterprise.ancestor_ids[:-1]) if enterprise is not None else set()
    above |= set(committee.ancestor_ids) if committee is not None else set()
    if enterprise is None or reports_to.id not in above:
        return Reason("reports_to_not_above", f"{reports_to.name} không phải cấp ủy cấp trên của doanh nghiệp.",
                      f"{reports_to.name} is not a committee above the enterprise.", {"unit_id": reports_to.id})
    if ctx.data["organisation_form"] == "cell_under_grassroots":
        allowed = reports_to.kind in _GRASSROOTS_KINDS
    else:
        allowed = reports_to.admits_members or reports_to.kind == UnitKind.PROVINCE
    if not allowed:
        return Reason("reports_to_wrong_level", f"{reports_to.name} không phù hợp với hình thức tổ chức đã chọn.",
                      f"{reports_to.name} does not suit the chosen form of organisation.", {"unit_id": reports_to.id})
    return None


@guard("interim_secretary_transferred", needs=("interim_secretary",))
def interim_secretary_transferred(ctx: StepContext) -> GuardResult:
    transferred = ctx.case.facts.get("transferred_members") or []
    if not any(p.get("member_id") == ctx.data["interim_secretary"] and p.get("status") == MemberStatus.OFFICIAL
               for p in transferred):
        return Reason("interim_secretary_not_transferred",
                      "Bí thư lâm thời phải là một đảng viên chính thức đã chuyển sinh hoạt về doanh nghiệp.",
                      "The interim secretary must be one of the official members transferred to the enterprise.")
    return None


@guard("founding_appraisal_done")
def founding_appraisal_done(ctx: StepContext) -> GuardResult:
    tasks = round_tasks(ctx, "appraise")
    if not tasks or any(t.status != TaskStatus.DONE for t in tasks):
        return Reason("appraisal_pending", "Ban tổ chức chưa thẩm định đề nghị thành lập.",
                      "The organizing department has not appraised the proposal yet.")
    return None
