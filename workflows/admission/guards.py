"""The admission workflow's guards: the rules of Quy định 294 and Hướng dẫn 06 that must hold before a step.

Each is registered by name (``casework.engine.guards.guard``) and named by the definitions in this folder.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from casework.engine.calendar import add_months, full_years
from casework.engine.context import StepContext
from casework.engine.flags import CHECKS
from casework.engine.guards import GuardResult, guard, required_votes
from casework.engine.reasons import Reason, format_date_vi
from casework.engine.routing import authority_of
from casework.models import Case, MemberStatus, PartyMember, Task, TaskStatus, Unit
from workflows.admission.subject import read_ahead_of

# --- Referral ---------------------------------------------------------------------------------------


@guard("no_other_open_case", needs=("national_id",))
def no_other_open_case(ctx: StepContext) -> GuardResult:
    national_id = ctx.data["national_id"]
    known = read_ahead_of(ctx.session)  # an import read every row's at once
    if known is not None and national_id in known.national_ids:
        other = known.open_cases.get(national_id)
    else:
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
    return _introducers_counted(ctx, with_resolution=_has_union_resolution(ctx))


def _introducers_counted(ctx: StepContext, *, with_resolution: bool) -> list[Reason]:
    """Every introducer an official member, and enough of them: one fewer with a union's resolution."""
    reasons = []
    official = 0
    for _, member in _introducer_members(ctx):
        if member.is_official_on(ctx.today):
            official += 1
        else:
            reasons.append(Reason("introducer_not_official", f"{member.full_name} chưa là đảng viên chính thức.",
                                  f"{member.full_name} is not an official member.", {"member_id": member.id}))
    needed = ctx.rules.introducers_required - (1 if with_resolution else 0)
    if official < needed:
        reasons.append(Reason(
            "too_few_introducers",
            f"Cần {needed} đảng viên chính thức giới thiệu"
            + (" (cùng nghị quyết giới thiệu của công đoàn/đoàn thanh niên)" if with_resolution else "")
            + f"; hiện có {official}.",
            f"{needed} official-member introducer(s) are needed"
            + (" (with the union's resolution)" if with_resolution else "") + f"; {official} given.",
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


def _consent_still_to_come(ctx: StepContext) -> bool:
    """A page's preview before the form is filled: the consent over the age limit is one of the step's own
    fields, so the step stays offered (and its form shows the field) until a submission without it."""
    return (ctx.preview and "exception_approval" not in ctx.data
            and ctx.transition.field("exception_approval") is not None)


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
    if age > rules.max_age and not ctx.fact("exception_approval") and not _consent_still_to_come(ctx):
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


# --- Version 2 (Quy định 294-QĐ/TW, Hướng dẫn 06-HD/TW, 2025) -----------------------------------------------
# Named by v2.yaml only; version 1 keeps the guards above. Flags that reuse a guard (a check that only warns)
# are registered with the engine's flag checks below.


def _full_months(born, on) -> int:
    """Whole months from ``born`` to ``on`` (the same day of a later month completes a month)."""
    months = (on.year - born.year) * 12 + on.month - born.month
    return months - 1 if add_months(born, months) > on else months


@guard("age_in_months_within_limits", params=("as_of",))
def age_in_months_within_limits(ctx: StepContext, as_of: str | None = None) -> GuardResult:
    """Age counted in months on the step's date (the cell's consideration): from 18 years 0 months up to
    60 years 0 months inclusive; a day past that only with the provincial standing committee's written
    consent (``exception_approval`` with its date)."""
    on_date = ctx.date_of(as_of)
    born = ctx.case.candidate.birth_date
    rules = ctx.rules
    months = _full_months(born, on_date)
    reaches = add_months(born, rules.min_age_months)
    if on_date < reaches:
        return Reason("too_young_months",
                      f"Ngày {format_date_vi(on_date)} người vào Đảng mới {months} tháng tuổi, chưa đủ "
                      f"{rules.min_age_months} tháng (đủ từ ngày {format_date_vi(reaches)}).",
                      f"On {on_date.isoformat()} the candidate is {months} months old, under "
                      f"{rules.min_age_months} months (reached on {reaches.isoformat()}).",
                      {"months": months, "on": on_date, "reaches": reaches})
    limit = add_months(born, rules.max_age_months)
    consented = ctx.fact("exception_approval") and ctx.fact("exception_approval_date")
    if on_date > limit and not consented and not _consent_still_to_come(ctx):
        return Reason("too_old_months",
                      f"Ngày {format_date_vi(on_date)} người vào Đảng đã quá {rules.max_age_months} tháng tuổi "
                      f"(từ sau ngày {format_date_vi(limit)}); cần văn bản đồng ý của ban thường vụ tỉnh ủy "
                      "(số và ngày).",
                      f"On {on_date.isoformat()} the candidate is past {rules.max_age_months} months of age "
                      f"(after {limit.isoformat()}); the provincial standing committee's written consent "
                      "(number and date) is needed.",
                      {"months": months, "on": on_date, "limit": limit})
    return None


@guard("exception_approval_before_decision", needs=("decision_date",))
def exception_approval_before_decision(ctx: StepContext) -> GuardResult:
    """The consent to admit someone past the age limit must exist when the decision is made: its date may not
    be later than the decision's."""
    approved = ctx.fact("exception_approval_date")
    decided = ctx.data["decision_date"]
    if isinstance(approved, str):
        approved = date.fromisoformat(approved)
    if approved is not None and approved > decided:
        return Reason("exception_approval_after_decision",
                      f"Văn bản đồng ý kết nạp quá tuổi ngày {format_date_vi(approved)} sau ngày quyết định "
                      f"kết nạp {format_date_vi(decided)}.",
                      f"The consent to admit past the age limit, dated {approved.isoformat()}, is later than "
                      f"the admission decision of {decided.isoformat()}.",
                      {"approval_date": approved, "decision_date": decided})
    return None


def _label_of(ctx: StepContext, name: str) -> tuple[str, str]:
    field_def = ctx.transition.field(name)
    label = field_def.label if field_def is not None else ctx.workflow.dates[name].label \
        if name in ctx.workflow.dates else {}
    return label.get("vi", name), label.get("en", name)


def _step_or_case_date(ctx: StepContext, name: str):
    value = ctx.data.get(name)
    if isinstance(value, date):
        return value
    return ctx.case_date(name)


@guard("dates_in_order", params=("date", "after"))
def dates_in_order(ctx: StepContext, date: str, after: str | list[str]) -> GuardResult:  # noqa: A002
    """The step's ``date`` may not precede the step before it (``after``: key dates of the case or dates of this
    step; the same day is allowed). Dates not recorded yet (a case that came from version 1) are not checked."""
    happened = ctx.data.get(date)
    if happened is None:
        return None
    reasons = []
    for earlier_name in [after] if isinstance(after, str) else list(after):
        earlier = _step_or_case_date(ctx, earlier_name)
        if earlier is None or happened >= earlier:
            continue
        (vi, en), (earlier_vi, earlier_en) = _label_of(ctx, date), _label_of(ctx, earlier_name)
        reasons.append(Reason("date_out_of_order",
                              f"{vi} ({format_date_vi(happened)}) không được trước {earlier_vi.lower()} "
                              f"({format_date_vi(earlier)}).",
                              f"{en} ({happened.isoformat()}) cannot precede the {earlier_en.lower()} "
                              f"({earlier.isoformat()}).",
                              {"field": date, "date": happened, "before": earlier_name, "earlier": earlier}))
    return reasons


def register_count_on(ctx: StepContext, on_date) -> int:
    """Official members in the owning cell's register on a date (sổ đảng viên)."""
    return ctx.session.scalar(
        sa.select(sa.func.count()).select_from(PartyMember).where(
            PartyMember.cell_id == ctx.case.owning_cell_id, PartyMember.status == MemberStatus.OFFICIAL,
            sa.or_(PartyMember.official_since.is_(None), PartyMember.official_since <= on_date))
    ) or 0


@guard("official_members_from_register", needs=("meeting_date",))
def official_members_from_register(ctx: StepContext) -> GuardResult:
    """``official_members`` defaults to the register's count for the cell on ``meeting_date`` (filled in here,
    before the other vote guards read it); a different figure needs a ``count_note``."""
    on_date = ctx.data["meeting_date"]
    count = register_count_on(ctx, on_date)
    given = ctx.data.get("official_members")
    if given is None:
        ctx.data["official_members"] = count
        return None
    if given != count and not ctx.data.get("count_note"):
        return Reason("official_count_differs",
                      f"Sổ đảng viên của chi bộ có {count} đảng viên chính thức ngày {format_date_vi(on_date)}, "
                      f"khác số đã ghi ({given}): cần ghi chú lý do (count_note).",
                      f"The cell's register counts {count} official members on {on_date.isoformat()}, not the "
                      f"{given} given: a count_note must say why.",
                      {"register": count, "given": given, "on": on_date})
    return None


@guard("present_within_counted", needs=("present", "excluded_members"))
def present_within_counted(ctx: StepContext) -> GuardResult:
    """Members excluded from the count (temporary transfer, exempt) are not among those present."""
    official = ctx.data.get("official_members")
    if official is None:
        return None
    counted = official - ctx.data["excluded_members"]
    if ctx.data["present"] > counted:
        return Reason("present_exceeds_counted",
                      f"Số có mặt ({ctx.data['present']}) lớn hơn số đảng viên chính thức được tính ({counted} = "
                      f"{official} − {ctx.data['excluded_members']} không tính).",
                      f"More present ({ctx.data['present']}) than counted official members ({counted} = "
                      f"{official} − {ctx.data['excluded_members']} not counted).",
                      {"present": ctx.data["present"], "counted": counted})
    return None


def _youth_resolution(ctx: StepContext) -> bool:
    return (ctx.case.source == "youth_union" and bool(ctx.case.facts.get("referral_number"))) \
        or bool(ctx.fact("youth_union_resolution_number"))


@guard("introducers_sufficient_2025", needs=("introducers",))
def introducers_sufficient_2025(ctx: StepContext) -> GuardResult:
    """Two official members, or one with a union's resolution; a candidate of youth-union age who is a
    youth-union member is introduced by the youth union's executive resolution (4-KNĐ) and one official member."""
    youth_age = full_years(ctx.case.candidate.birth_date, ctx.today) <= ctx.rules.youth_union_max_age
    youth_member = bool(ctx.fact("youth_union_member")) or ctx.case.source == "youth_union"
    if youth_age and youth_member and not _youth_resolution(ctx):
        return Reason("youth_union_resolution_needed",
                      f"Người vào Đảng là đoàn viên trong độ tuổi đoàn (đến {ctx.rules.youth_union_max_age} tuổi): "
                      "cần nghị quyết giới thiệu của ban chấp hành đoàn (4-KNĐ) và một đảng viên chính thức.",
                      f"The candidate is a youth-union member of youth-union age (up to "
                      f"{ctx.rules.youth_union_max_age}): the youth union executive's resolution (4-KNĐ) and one "
                      "official member introduce them.",
                      {"max_age": ctx.rules.youth_union_max_age})
    return _introducers_counted(ctx, with_resolution=_has_union_resolution(ctx) or _youth_resolution(ctx))


@guard("readmission_allowed", needs=("referral_date",), params=("never",))
def readmission_allowed(ctx: StepContext, never: list[str] | None = None) -> GuardResult:
    """Re-admission (294-QĐ/TW §3.5.2): once only, at least 36 months after leaving (60 after a cleared conviction,
    counted from the day it was cleared), with the provincial standing committee's consent; those who left for a
    reason in ``never`` (left voluntarily, say) are not re-admitted."""
    d = ctx.data
    if not d.get("readmission"):
        return None
    on_date = d["referral_date"]
    reason = d.get("left_party_reason")
    if reason is None or d.get("left_party_on") is None:
        return Reason("readmission_details_missing",
                      "Kết nạp lại: cần ghi ngày và lý do ra khỏi Đảng.",
                      "Re-admission: the date and reason of leaving the party are needed.")
    if reason in (never or []):
        return Reason("readmission_never",
                      f"Người ra khỏi Đảng vì lý do '{reason}' không được xem xét kết nạp lại (294-QĐ/TW, 3.5.2).",
                      f"Someone who left the party for the reason '{reason}' is never re-admitted "
                      "(294-QĐ/TW, 3.5.2).", {"left_party_reason": reason})
    reasons = []
    if d.get("readmitted_before"):
        reasons.append(Reason("readmission_only_once", "Chỉ được xem xét kết nạp lại một lần.",
                              "Re-admission is considered once only."))
    if reason == "convicted":
        start, months = d.get("conviction_cleared_on"), ctx.rules.readmission_after_conviction_months
        if start is None:
            reasons.append(Reason("conviction_not_cleared", "Cần ghi ngày được xóa án tích.",
                                  "The date the conviction was cleared is needed."))
    else:
        start, months = d["left_party_on"], ctx.rules.readmission_min_months
    if start is not None and on_date < add_months(start, months):
        reasons.append(Reason("readmission_too_soon",
                              f"Kết nạp lại: chưa đủ {months} tháng kể từ ngày {format_date_vi(start)} "
                              f"(đủ từ ngày {format_date_vi(add_months(start, months))}).",
                              f"Re-admission: {months} months have not passed since {start.isoformat()} "
                              f"(they have on {add_months(start, months).isoformat()}).",
                              {"since": start, "months": months, "on": on_date}))
    if not (d.get("readmission_consent_number") and d.get("readmission_consent_date")):
        reasons.append(Reason("readmission_consent_missing",
                              "Kết nạp lại cần văn bản đồng ý của ban thường vụ tỉnh ủy (số và ngày).",
                              "Re-admission needs the provincial standing committee's consent (number and date)."))
    return reasons


def guard_warning(ctx: StepContext, *, guard: str, as_of: str | None = None) -> Reason | None:
    """A flag that runs a guard and records its first reason instead of refusing the step (the age at
    request_verification, which only warns: the cell's consideration decides)."""
    from casework.engine.guards import evaluate

    reasons = evaluate(guard, {"as_of": as_of} if as_of else {}, ctx)
    return reasons[0] if reasons else None


CHECKS["guard_warning"] = guard_warning


# --- Transfer to another cell ----------------------------------------------------------------------------------


@guard("transfer_to_another_cell", needs=("to_cell",))
def transfer_to_another_cell(ctx: StepContext) -> GuardResult:
    """A case moves to a cell other than its own, one with an authority above it to admit the candidate."""
    cell = ctx.session.get(Unit, ctx.data["to_cell"])
    if cell.id == ctx.case.owning_cell_id:
        return Reason("same_cell", f"Hồ sơ đã thuộc {cell.name}.", f"The case already belongs to {cell.name}.",
                      {"unit_id": cell.id})
    if authority_of(ctx.session, cell) is None:
        return Reason("no_authority_above", f"Không có cấp ủy có thẩm quyền kết nạp phía trên {cell.name}.",
                      f"No committee above {cell.name} admits members.", {"unit_id": cell.id})
    return None
