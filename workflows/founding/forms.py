"""How the founding workflow's own field types look on the pages: rows of the party members working at the
enterprise (name, register id when known, status, the cell they attend) and the interim secretary's register id."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import FieldList, Form, FormField, SelectField, StringField
from wtforms.widgets import NumberInput

from casework.engine.definition import FieldDef
from casework.web.stepforms import Choices, Widget, options, unit_options, widget


class MemberRow(Form):
    full_name = StringField(_l("Full name"))
    member_id = StringField(_l("Register id (when known)"), widget=NumberInput())
    status = SelectField(_l("Membership"), choices=[], validate_choice=False)
    current_cell = SelectField(_l("Cell attended now"), choices=[], validate_choice=False)


def _fill_members(rows, fdef: FieldDef, choices: Choices) -> None:
    cells = unit_options(fdef, choices)  # the field's unit kinds: cells
    statuses = options([("", _("— from the register —")), ("official", _("Official member")),
                        ("probationary", _("Probationary member"))])
    for row in rows:
        row.current_cell.choices = cells
        row.status.choices = statuses


def _members(rows) -> list[dict[str, Any]]:
    """The rows with a name, each with only what was typed (the engine reads the rest from the register)."""
    members = []
    for row in rows:
        if not (row.full_name.data or "").strip():
            continue
        member = {"full_name": row.full_name.data.strip()}
        for key in ("member_id", "status", "current_cell"):
            value = (row[key].data or "").strip() if isinstance(row[key].data, str) else row[key].data
            if value:
                member[key] = value
        members.append(member)
    return members


def _describe_members(value, _member_name) -> str:
    return "; ".join(m.get("full_name", "") for m in value or [])


widget("working_members", Widget(
    field=lambda fdef, label: FieldList(FormField(MemberRow), label=label, min_entries=5, max_entries=30),
    value=_members, fill=_fill_members, describe=_describe_members))
widget("party_member", Widget(
    field=lambda fdef, label: StringField(label, widget=NumberInput(), description=_l("The member's register id")),
    value=lambda wt_field: (wt_field.data or "").strip(),
    describe=lambda value, member_name: member_name(value), member_ids=lambda value: [value]))
