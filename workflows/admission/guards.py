"""The admission workflow's guards: the rules of Quy định 294 and Hướng dẫn 06 that must hold before a step.

Each is registered by name (``casework.engine.guards.guard``) and named by the definitions in this folder.
"""

from __future__ import annotations

import sqlalchemy as sa

from casework.engine.calendar import add_months, full_years
from casework.engine.context import StepContext
from casework.engine.guards import GuardResult, guard, required_votes
from casework.engine.reasons import Reason, format_date_vi
from casework.models import Case, MemberStatus, PartyMember, Task, TaskStatus, Unit

# --- Referral ---------------------------------------------------------------------------------------


@guard("no_other_open_case", needs=("national_id",))
def no_other_open_case(ctx: StepContext) -> GuardResult:
    national_id = ctx.data["national_id"]
    other = ctx.session.scalar(sa.select(Case.id).where(Case.workflow == ctx.workflow.name,
                                                        Case.subject_key == national_id))
    if other is not None and other != ctx.case.id:
        return Reason("open_case_exists",
                      f"Người có số CCCD {national_id} đang có một hồ sơ kết nạp chưa kết thúc.",
                      f"A person with national ID {national_id} already has an open admission case.",
                      {"national_id": national_id})
    return None


_SOURCE_ORG_KIND = {"trade_union": "trade_union", "youth_union": "youth_union", "women_union": "women_union"}


@guard("referring_org_matches_source", needs=("source",))
def referring_org_matches_source(ctx: StepContext) -> GuardResult:
    source = ctx.data["source"]
    org_id = ctx.data.get("referring_org")
    if source == "party_member":
        return None
    org = ctx.session.get(Unit, org_id) if org_id else None
    if org is None or org.kind != _SOURCE_ORG_KIND[source]:
        return Reason("referring_org_mismatch",
                      "Cần ghi rõ tổ chức công đoàn/đoàn thanh niên/hội phụ nữ giới thiệu, đúng với nguồn giới thiệu.",
                      "The referring trade union, youth union or women's union must be given and match the source.",
                      {"source": source})
    return None


# --- Helpers and introducers ------------------------------------------------------------------------


@guard("helpers_assigned", needs=("helper_ids",))
def helpers_assigned(ctx: StepContext) -> GuardResult:
    if not ctx.data["helper_ids"]:
        return Reason("no_helper", "Cần phân công ít nhất một đảng viên chính thức giúp đỡ.",
                      "At least one official member must be assigned as helper.")
    return None


@guard("helpers_are_official_members_of_cell", needs=("helper_ids",))
def helpers_are_official_members_of_cell(ctx: StepContext) -> GuardResult:
    reasons = []
    members = ctx.session.scalars(sa.select(PartyMember).where(PartyMember.id.in_(ctx.data["helper_ids"])))
    for member in members:
        if member.cell_id != ctx.case.owning_cell_id or not member.is_official_on(ctx.today):
            reasons.append(Reason("helper_not_official_in_cell",
                                  f"{member.full_name} không phải đảng viên chính thức của chi bộ.",
                                  f"{member.full_name} is not an official member of the cell.",
                                  {"member_id": member.id}))
    return reasons


def _introducer_members(ctx: StepContext) -> list[tuple[dict, PartyMember]]:
    introducers = ctx.data["introducers"]
    ids = [i["member_id"] for i in introducers]
    by_id = {m.id: m for m in ctx.session.scalars(sa.select(PartyMember).where(PartyMember.id.in_(ids)))}
    return [(i, by_id[i["member_id"]]) for i in introducers if i["member_id"] in by_id]


def _has_union_resolution(ctx: StepContext) -> bool:
    """A trade-union or youth-union resolution introducing the candidate stands for one introducer."""
    return ctx.case.source in ("trade_union", "youth_union") and bool(ctx.case.facts.get("referral_number"))


@guard("introducers_sufficient", needs=("introducers",))
def introducers_sufficient(ctx: StepContext) -> GuardResult:
    reasons = []
    official = 0
    for _, member in _introducer_members(ctx):
        if member.is_official_on(ctx.today):
            official += 1
        else:
            reasons.append(Reason("introducer_not_official", f"{member.full_name} chưa là đảng viên chính thức.",
                                  f"{member.full_name} is not an official member.", {"member_id": member.id}))
    needed = ctx.rules.introducers_required - (1 if _has_union_resolution(ctx) else 0)
    if official < needed:
        reasons.append(Reason(
            "too_few_introducers",
            f"Cần {needed} đảng viên chính thức giới thiệu"
            + (" (cùng nghị quyết giới thiệu của công đoàn/đoàn thanh niên)" if needed < ctx.rules.introducers_required
               else "") + f"; hiện có {official}.",
            f"{needed} official-member introducer(s) are needed"
            + (" (with the union's resolution)" if needed < ctx.rules.introducers_required else "")
            + f"; {official} given.",
            {"needed": needed, "given": official}))
    return reasons


@guard("introducers_known_long_enough", needs=("introducers",))
def introducers_known_long_enough(ctx: StepContext) -> GuardResult:
    months = ctx.rules.introducer_min_months
    reasons = []
    for introducer, member in _introducer_members(ctx):
        if add_months(introducer["known_since"], months) > ctx.today:
            reasons.append(Reason(
                "introducer_too_recent",
                f"{member.full_name} mới công tác cùng người vào Đảng từ {format_date_vi(introducer['known_since'])}, "
                f"chưa đủ {months} tháng.",
                f"{member.full_name} has worked with the candidate only since "
                f"{introducer['known_since'].isoformat()}, less than {months} months.",
                {"member_id": member.id, "months": months}))
    return reasons


@guard("business_owner_conditions_confirmed")
def business_owner_conditions_confirmed(ctx: StepContext) -> GuardResult:
    if not ctx.case.candidate.is_business_owner:
        return None
    if ctx.preview and "business_owner_conditions" not in ctx.data:
        return None
    if not ctx.data.get("business_owner_conditions"):
        return Reason("business_owner_conditions",
                      "Người vào Đảng là chủ doanh nghiệp: cần xác nhận các điều kiện "
                      "đối với chủ doanh nghiệp tư nhân.",
                      "The candidate owns a business: the conditions for business owners must be confirmed.")
    return None


# --- Age and certificate ----------------------------------------------------------------------------


@guard("age_within_limits", params=("as_of",))
def age_within_limits(ctx: StepContext, as_of: str | None = None) -> GuardResult:
    """Full years on the step's date: a birthday completes the year. Over the maximum only with an
    exception approval recorded now or earlier."""
    on_date = ctx.date_of(as_of)
    age = full_years(ctx.case.candidate.birth_date, on_date)
    rules = ctx.rules
    if age < rules.min_age:
        return Reason("too_young",
                      f"Ngày {format_date_vi(on_date)} người vào Đảng mới {age} tuổi, chưa đủ {rules.min_age} tuổi.",
                      f"On {on_date.isoformat()} the candidate is {age}, under {rules.min_age}.",
                      {"age": age, "on": on_date})
    if age > rules.max_age and not ctx.fact("exception_approval"):
        return Reason("too_old",
                      f"Ngày {format_date_vi(on_date)} người vào Đảng đã {age} tuổi, quá {rules.max_age} tuổi; "
                      "cần văn bản đồng ý của cấp có thẩm quyền.",
                      f"On {on_date.isoformat()} the candidate is {age}, over {rules.max_age}; "
                      "an exception approval is needed.",
                      {"age": age, "on": on_date})
    return None


@guard("certificate_date_not_in_future", needs=("certificate_date",))
def certificate_date_not_in_future(ctx: StepContext) -> GuardResult:
    if ctx.data["certificate_date"] > ctx.today:
        return Reason("certificate_in_future", "Ngày cấp giấy chứng nhận không được sau ngày hôm nay.",
                      "The certificate date cannot be in the future.")
    return None


@guard("certificate_valid", params=("as_of",))
def certificate_valid(ctx: StepContext, as_of: str | None = None) -> GuardResult:
    """Younger than the validity period: valid up to the day before the same date N months later."""
    on_date = ctx.date_of(as_of)
    issued = ctx.case.date("certificate_date")
    months = ctx.rules.certificate_validity_months
    if issued is None:
        return Reason("no_certificate", "Chưa có giấy chứng nhận lớp nhận thức về Đảng.",
                      "There is no awareness-course certificate.")
    expires = add_months(issued, months)
    if on_date >= expires:
        return Reason("certificate_expired",
                      f"Giấy chứng nhận cấp ngày {format_date_vi(issued)} đã quá {months} tháng vào ngày "
                      f"{format_date_vi(on_date)}.",
                      f"The certificate of {issued.isoformat()} is older than {months} months "
                      f"on {on_date.isoformat()}.",
                      {"issued": issued, "on": on_date})
    return None


# --- Verification -----------------------------------------------------------------------------------


def _round_tasks(ctx: StepContext, kind: str) -> list[Task]:
    """Tasks of a kind created since the case last entered its current state (this round only)."""
    return [t for t in ctx.case.tasks if t.kind == kind and t.entry_seq == ctx.case.state_seq
            and t.status != TaskStatus.CANCELLED]


@guard("verification_answered")
def verification_answered(ctx: StepContext) -> GuardResult:
    waiting = [t for t in _round_tasks(ctx, "confirm_background") if t.status == TaskStatus.OPEN]
    if waiting:
        names = ", ".join(t.unit.name for t in waiting)
        return Reason("verification_pending", f"Còn {len(waiting)} nơi chưa trả lời thẩm tra: {names}.",
                      f"{len(waiting)} place(s) have not replied yet: {names}.", {"waiting": len(waiting)})
    return None


@guard("no_unresolved_concerns")
def no_unresolved_concerns(ctx: StepContext) -> GuardResult:
    concerns = [t for t in _round_tasks(ctx, "confirm_background") if t.outcome.get("outcome") == "concerns"]
    if concerns:
        names = ", ".join(t.unit.name for t in concerns)
        return Reason("verification_concerns",
                      f"Có ý kiến chưa rõ về lý lịch ({names}); cần trả về bổ sung hồ sơ và thẩm tra lại.",
                      f"Concerns were raised ({names}); return to the dossier and verify again.",
                      {"places": len(concerns)})
    return None


# --- Votes ------------------------------------------------------------------------------------------

_VOTE_FIELDS = ("official_members", "excluded_members", "present", "votes_for", "votes_against")


@guard("vote_counts_consistent", needs=_VOTE_FIELDS)
def vote_counts_consistent(ctx: StepContext) -> GuardResult:
    d = ctx.data
    reasons = []
    if d["excluded_members"] > d["official_members"]:
        reasons.append(Reason("excluded_exceeds_members", "Số không tính lớn hơn số đảng viên chính thức.",
                              "More members excluded than there are official members."))
    if d["present"] > d["official_members"]:
        reasons.append(Reason("present_exceeds_members", "Số có mặt lớn hơn số đảng viên chính thức.",
                              "More present than there are official members."))
    if d["votes_for"] + d["votes_against"] > d["present"]:
        reasons.append(Reason("votes_exceed_present", "Tổng số phiếu lớn hơn số có mặt.",
                              "More votes than members present."))
    return reasons


def _register_official_count(ctx: StepContext) -> int:
    return ctx.session.scalar(
        sa.select(sa.func.count()).select_from(PartyMember).where(
            PartyMember.cell_id == ctx.case.owning_cell_id, PartyMember.status == MemberStatus.OFFICIAL)
    ) or 0


@guard("cell_has_minimum_official_members")
def cell_has_minimum_official_members(ctx: StepContext) -> GuardResult:
    """Uses the submitted count; before submission, the cell's member register."""
    count = ctx.data.get("official_members")
    if count is None:
        count = _register_official_count(ctx)
    minimum = ctx.rules.min_cell_official_members
    if count < minimum:
        return Reason("cell_too_small",
                      f"Chi bộ chỉ có {count} đảng viên chính thức; cần ít nhất {minimum} để xét kết nạp.",
                      f"The cell has {count} official members; at least {minimum} are needed to vote.",
                      {"count": count, "minimum": minimum})
    return None


def cell_vote_passes(ctx: StepContext) -> tuple[bool, int]:
    counted = ctx.data["official_members"] - ctx.data["excluded_members"]
    needed = required_votes(ctx.rules.vote_fraction, counted)
    return ctx.data["votes_for"] >= needed, needed


@guard("cell_vote_threshold_reached", needs=_VOTE_FIELDS)
def cell_vote_threshold_reached(ctx: StepContext) -> GuardResult:
    passed, needed = cell_vote_passes(ctx)
    if not passed:
        return Reason("vote_below_threshold",
                      f"Cần ít nhất {needed} phiếu tán thành (2/3 số đảng viên chính thức được tính); "
                      f"có {ctx.data['votes_for']}.",
                      f"At least {needed} votes for are needed (2/3 of counted official members); "
                      f"{ctx.data['votes_for']} given.",
                      {"needed": needed, "votes_for": ctx.data["votes_for"]})
    return None


@guard("cell_vote_threshold_not_reached", needs=_VOTE_FIELDS)
def cell_vote_threshold_not_reached(ctx: StepContext) -> GuardResult:
    passed, needed = cell_vote_passes(ctx)
    if passed:
        return Reason("vote_reached_threshold",
                      f"Đã đạt {ctx.data['votes_for']}/{needed} phiếu cần thiết: "
                      "hãy ghi kết quả biểu quyết đề nghị kết nạp.",
                      f"{ctx.data['votes_for']} votes reach the {needed} needed: record the vote as passed.",
                      {"needed": needed})
    return None


def committee_vote_passes(ctx: StepContext) -> tuple[bool, int]:
    needed = required_votes(ctx.rules.vote_fraction, ctx.data["committee_members"])
    return ctx.data["votes_for"] >= needed, needed


@guard("committee_counts_consistent", needs=("committee_members", "votes_for"))
def committee_counts_consistent(ctx: StepContext) -> GuardResult:
    if ctx.data["votes_for"] > ctx.data["committee_members"]:
        return Reason("votes_exceed_committee", "Số tán thành lớn hơn số cấp ủy viên.",
                      "More votes for than committee members.")
    return None


@guard("committee_vote_threshold_reached", needs=("committee_members", "votes_for"))
def committee_vote_threshold_reached(ctx: StepContext) -> GuardResult:
    inconsistent = committee_counts_consistent(ctx)
    if inconsistent:
        return inconsistent
    passed, needed = committee_vote_passes(ctx)
    if not passed:
        return Reason("committee_vote_below_threshold",
                      f"Cần ít nhất {needed} cấp ủy viên tán thành (2/3); có {ctx.data['votes_for']}.",
                      f"At least {needed} committee members must vote for (2/3); {ctx.data['votes_for']} did.",
                      {"needed": needed})
    return None


# --- Authority and probation ------------------------------------------------------------------------


@guard("appraisal_done")
def appraisal_done(ctx: StepContext) -> GuardResult:
    tasks = _round_tasks(ctx, "appraise")
    if not tasks or any(t.status != TaskStatus.DONE for t in tasks):
        return Reason("appraisal_pending", "Ban tổ chức chưa thẩm định hồ sơ.",
                      "The organizing department has not appraised the file yet.")
    return None


@guard("new_member_course_recorded")
def new_member_course_recorded(ctx: StepContext) -> GuardResult:
    if not ctx.case.facts.get("new_member_certificate_number"):
        return Reason("new_member_course_missing", "Chưa ghi kết quả lớp bồi dưỡng đảng viên mới.",
                      "The new-member course has not been recorded.")
    return None


@guard("probation_ended")
def probation_ended(ctx: StepContext) -> GuardResult:
    ends = ctx.case.date("probation_ends")
    if ends is None or ctx.today < ends:
        shown = format_date_vi(ends) if ends else "?"
        return Reason("probation_not_ended", f"Thời gian dự bị kết thúc ngày {shown}.",
                      f"Probation ends on {ends.isoformat() if ends else '?'}.", {"probation_ends": ends})
    return None


@guard("recognition_votes_passed")
def recognition_votes_passed(ctx: StepContext) -> GuardResult:
    if not ctx.case.facts.get("recognition_passed"):
        failed = ctx.case.facts.get("recognition_failed_votes", 0)
        return Reason("recognition_votes_failed",
                      f"Các lần biểu quyết công nhận chính thức chưa đạt (không đạt {failed} lần).",
                      f"The recognition votes have not passed ({failed} failed).", {"failed": failed})
    return None


@guard("removal_not_yet_proposed")
def removal_not_yet_proposed(ctx: StepContext) -> GuardResult:
    if ctx.case.facts.get("removal_proposed"):
        return Reason("removal_already_proposed", "Đã đề nghị xóa tên.", "Removal has already been proposed.")
    return None


@guard("removal_proposed")
def removal_proposed(ctx: StepContext) -> GuardResult:
    failed = ctx.case.facts.get("recognition_failed_votes", 0)
    if ctx.case.facts.get("removal_proposed") or failed >= ctx.rules.max_failed_recognition_votes:
        return None
    return Reason("removal_not_proposed", "Chi bộ chưa đề nghị xóa tên.", "The cell has not proposed removal.")
