"""What the dashboard's tables are called on screen: their column identifiers (which the CSV and XLSX
downloads keep, so spreadsheets and scripts can rely on them) and the coded values in their cells. A workflow's
package labels its own figures' columns (``WorkflowFigures.labels``)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from casework.web.admin.forms import VALUE_LABELS as ADMIN_LABELS
from casework.web.stepforms import choice_labels

COLUMNS = {
    "unit": _l("Unit"), "total": _l("Total"), "state": _l("Step"), "stays": _l("Cases"),
    "median_days": _l("Median (days)"), "p90_days": _l("90th percentile (days)"),
    "previous_stays": _l("Cases, previous year"), "previous_median_days": _l("Median, previous year"),
    "previous_p90_days": _l("90th percentile, previous year"), "median_change_days": _l("Change in median (days)"),
    "committee": _l("Residential committee"), "part_of": _l("Part of"), "replies": _l("Replies"),
    "median_working_days": _l("Median (working days)"), "p90_working_days": _l("90th percentile (working days)"),
    "awaiting": _l("Awaiting a reply"), "overdue": _l("Overdue"),
    "oldest_wait_working_days": _l("Oldest wait (working days)"),
    "case_id": _l("Case"), "url": _l("Link"), "title": _l("Name"), "cell": _l("Cell"),
    "since": _l("Since"), "days": _l("Days"),
    "year_from": _l("From"), "year_to": _l("To"), "done_in": _l("Done in"),
    "in_pipeline": _l("In the pipeline"), "expected_more": _l("Expected more"),
    "expected_by_year_end": _l("Expected by year end"), "target": _l("Target"), "on_track": _l("On track"),
}


def columns() -> dict[str, Any]:
    """Every column's label: the generic figures', those the workflows' packages give, and their target measures'
    (``<measure>_target`` and ``<measure>``)."""
    from casework.monitoring.figures import registered, target_measures

    measures = {k: v for m in target_measures() for k, v in ((f"{m.name}_target", m.target_label), (m.name, m.label))}
    return {**COLUMNS, **measures, **{k: v for package in registered() for k, v in package.labels.items()}}


def value_labels(state_labels: dict[str, str]) -> dict[Any, Any]:
    """Coded cell values (states, referral sources, ownership, yes/no) in the page language."""
    return {**state_labels, **choice_labels(),
            "domestic_private": ADMIN_LABELS["domestic_private"], "foreign_invested": ADMIN_LABELS["foreign_invested"],
            "unknown": _l("Unknown")}
