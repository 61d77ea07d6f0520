"""How the admission workflow's own field types look on the pages: rows of introducers (3-KNĐ) and of relatives
to verify, typed in a step form, read back for the engine and worded in the case's history."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, FieldList, Form, FormField, SelectField, StringField

from casework.engine.definition import FieldDef
from casework.web.stepforms import (
    DATE_HINT,
    Choices,
    Widget,
    choice_label,
    date_value,
    format_value,
    options,
    unit_options,
    widget,
)


class IntroducerRow(Form):
    member_id = SelectField(_l("Introducer"), choices=[], validate_choice=False)
    known_since = StringField(_l("Worked with the candidate since"), render_kw={"placeholder": DATE_HINT})


class RelativeRow(Form):
    full_name = StringField(_l("Full name"))
    relation = StringField(_l("Relation"))
    residence_unit = SelectField(_l("Place of residence"), choices=[], validate_choice=False)
    abroad = BooleanField(_l("Lives abroad"))
    country = StringField(_l("Country"))


def _fill_introducers(rows, _fdef: FieldDef, choices: Choices) -> None:
    members = options([("", _("— choose —"))] + choices.members)
    for row in rows:
        row.member_id.choices = members


def _introducers(rows) -> list[dict[str, Any]]:
    return [{"member_id": row.member_id.data, "known_since": date_value(row.known_since.data) or ""}
            for row in rows if row.member_id.data]


def _describe_introducers(value, member_name) -> str:
    return "; ".join(_("%(name)s (since %(date)s)", name=member_name(i.get("member_id")),
                       date=format_value(i.get("known_since", ""))) for i in value)


def _fill_relatives(rows, fdef: FieldDef, choices: Choices) -> None:
    places = unit_options(fdef, choices)  # where a relative may live: the field's unit kinds
    for row in rows:
        row.residence_unit.choices = places


def _relatives(rows) -> list[dict[str, Any]]:
    return [_relative(row) for row in rows if (row.full_name.data or "").strip()]


def _relative(row) -> dict[str, Any]:
    relative = {"full_name": row.full_name.data, "relation": row.relation.data, "abroad": bool(row.abroad.data)}
    if row.abroad.data:
        relative["country"] = row.country.data
    elif row.residence_unit.data:
        relative["residence_unit"] = row.residence_unit.data
    return relative


widget("introducers", Widget(
    field=lambda fdef, label: FieldList(FormField(IntroducerRow), label=label, min_entries=2, max_entries=4),
    value=_introducers, fill=_fill_introducers, describe=_describe_introducers,
    member_ids=lambda value: [i.get("member_id") for i in value or []], needs_members=True))
widget("relatives", Widget(
    field=lambda fdef, label: FieldList(FormField(RelativeRow), label=label, min_entries=2, max_entries=8),
    value=_relatives, fill=_fill_relatives,
    describe=lambda value, _member_name: "; ".join(f"{r.get('full_name')} ({r.get('relation')})" for r in value)))


# Version 2 (06-HD/TW §3.4a): the relation is one of the field's choices, and a relative who is a party member and
# has declared everything is exempt from the field check. A relative's workplace is given through the API only.
class RelativeRow2025(RelativeRow):
    relation = SelectField(_l("Relation"), choices=[], validate_choice=False)
    party_member = BooleanField(_l("Party member"))
    fully_declared = BooleanField(_l("Has declared everything (no field check)"))


def _fill_relatives_2025(rows, fdef: FieldDef, choices: Choices) -> None:
    _fill_relatives(rows, fdef, choices)
    relations = options([("", _("— choose —"))] + [(c, choice_label(c)) for c in fdef.choices])
    for row in rows:
        row.relation.choices = relations


def _relatives_2025(rows) -> list[dict[str, Any]]:
    return [{**_relative(row), "party_member": bool(row.party_member.data),
             "fully_declared": bool(row.fully_declared.data)} for row in rows if (row.full_name.data or "").strip()]


def _describe_relative_2025(relative: dict) -> str:
    said = f"{relative.get('full_name')} ({choice_label(relative.get('relation', ''))})"
    return said + (f" — {_('exempt from the field check')}" if relative.get("exempt") else "")


widget("relatives_2025", Widget(
    field=lambda fdef, label: FieldList(FormField(RelativeRow2025), label=label, min_entries=2, max_entries=8),
    value=_relatives_2025, fill=_fill_relatives_2025,
    describe=lambda value, _member_name: "; ".join(_describe_relative_2025(r) for r in value)))
