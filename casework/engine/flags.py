"""Flags: checks that do not block a step but mark it in the history (a decision past its deadline)."""

from __future__ import annotations

from collections.abc import Callable

from casework.engine.calendar import add_working_days
from casework.engine.context import StepContext
from casework.engine.reasons import Reason, format_date_vi


def deadline(ctx: StepContext, *, date: str, start: str, working_days: str,
             extension_working_days: str | None = None, extension_field: str | None = None) -> Reason | None:
    """Flag when the recorded ``date`` falls after ``start`` + N working days (+ the extension when a
    reason for it was recorded)."""
    began = ctx.case_date(start)
    happened = ctx.data.get(date)
    if began is None or happened is None:
        return None
    allowed = getattr(ctx.rules, working_days)
    extended = bool(extension_field and ctx.data.get(extension_field))
    if extended and extension_working_days:
        allowed += getattr(ctx.rules, extension_working_days)
    limit = add_working_days(began, allowed)
    if happened <= limit:
        return None
    return Reason(
        "past_deadline",
        f"Quá hạn: {format_date_vi(happened)} sau hạn {format_date_vi(limit)} ({allowed} ngày làm việc kể từ "
        f"{format_date_vi(began)}).",
        f"Late: {happened.isoformat()} is after the deadline {limit.isoformat()} ({allowed} working days from "
        f"{began.isoformat()}).",
        {"date": happened, "deadline": limit, "working_days": allowed, "extended": extended})


CHECKS: dict[str, Callable[..., Reason | None]] = {"deadline": deadline}
# The YAML names the start date `from`, a Python keyword.
PARAM_ALIASES = {"from": "start"}


def run_flag(check: str, params: dict, ctx: StepContext) -> Reason | None:
    kwargs = {PARAM_ALIASES.get(k, k): v for k, v in params.items()}
    return CHECKS[check](ctx, **kwargs)
