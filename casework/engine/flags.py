"""Flags: checks that do not block a step but mark it in the history (a decision past its deadline)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date as date_type

from casework.engine.context import StepContext
from casework.engine.reasons import Reason, format_date_vi


def deadline(ctx: StepContext, *, date: str, start: str, working_days: str,  # noqa: A002
             extension_working_days: str | None = None, extension_field: str | None = None,
             otherwise: str | None = None, waived_by: str | None = None) -> Reason | None:
    """Flag when the recorded ``date`` falls after ``start`` + N working days (+ the extension when a reason
    for it was recorded). ``start`` is as given in this step, else as the case keeps it, else the case's
    ``otherwise`` date (a decision's receipt, else its date); ``waived_by``: a field whose value in this step
    (a higher committee's consent) means the later date is allowed."""
    if waived_by and ctx.data.get(waived_by):
        return None
    began = _step_or_case_date(ctx, start) or (ctx.case_date(otherwise) if otherwise else None)
    happened = ctx.data.get(date)
    if began is None or happened is None:
        return None
    allowed = getattr(ctx.rules, working_days)
    extended = bool(extension_field and ctx.data.get(extension_field))
    if extended and extension_working_days:
        allowed += getattr(ctx.rules, extension_working_days)
    limit = ctx.add_working_days(began, allowed)
    if happened <= limit:
        return None
    unwaived_vi = ", không có văn bản đồng ý của cấp ủy cấp trên" if waived_by else ""
    unwaived_en = ", without the higher committee's consent" if waived_by else ""
    return Reason(
        "past_deadline",
        f"Quá hạn: {format_date_vi(happened)} sau hạn {format_date_vi(limit)} ({allowed} ngày làm việc kể từ "
        f"{format_date_vi(began)}){unwaived_vi}.",
        f"Late: {happened.isoformat()} is after the deadline {limit.isoformat()} ({allowed} working days from "
        f"{began.isoformat()}){unwaived_en}.",
        {"date": happened, "deadline": limit, "working_days": allowed, "extended": extended, "from": began})


def _step_or_case_date(ctx: StepContext, name: str) -> date_type | None:
    value = ctx.data.get(name)
    return value if isinstance(value, date_type) else ctx.case_date(name)


CHECKS: dict[str, Callable[..., Reason | None]] = {"deadline": deadline}
# The YAML names the start date `from`, a Python keyword.
PARAM_ALIASES = {"from": "start"}


def run_flag(check: str, params: dict, ctx: StepContext) -> Reason | None:
    kwargs = {PARAM_ALIASES.get(k, k): v for k, v in params.items()}
    return CHECKS[check](ctx, **kwargs)
