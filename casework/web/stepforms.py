"""Forms built from a workflow step's field definitions, and what they submit turned into engine data.

The web layer only translates between what a person types (dd/mm/yyyy dates, ticked boxes, rows of
people) and what the engine parses (ISO dates, lists, ids). Whether a value is required, allowed or
enough is the engine's call: its reasons come back and are shown next to the field they name.

A workflow package's own field types (``casework.engine.fields.field_type``) bring their own ``Widget``,
registered from the package's ``forms`` module (imported with the pages, ``casework.web.register``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.widgets import CheckboxInput, ListWidget, NumberInput

from casework.engine.definition import FieldDef, TransitionDef
from casework.engine.reasons import Reason
from casework.web.i18n import pick

DATE_HINT = "dd/mm/yyyy"
_DMY = re.compile(r"\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*")



def options(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms select options."""
    return [SelectChoice(str(value), str(label)) for value, label in pairs]


def choice_labels() -> dict[str, str]:
    """Every choice value the loaded definitions label (``choices:``), in the page language; a later version's
    label wins. Worked out once per request: a form or a history asks for many."""
    from flask import g

    from casework.web.engine_access import engine

    labels = g.get("casework_choice_labels")
    if labels is None:
        labels = g.casework_choice_labels = {}
        for wf in engine().definitions():
            labels.update({value: pick(label) for value, label in wf.choice_labels.items()})
    return labels


def choice_label(value: str) -> str:
    """A choice value as the definitions label it, else the value itself."""
    return choice_labels().get(value, value)


@dataclass
class Choices:
    """Options for the fields that pick something: units by kind, the cell's members, the case's documents."""

    units: dict[str, list[tuple[int, str]]] = field(default_factory=dict)  # by unit kind
    members: list[tuple[int, str]] = field(default_factory=list)
    documents: dict[str, list[tuple[int, str]]] = field(default_factory=dict)  # by form code
    defaults: dict[str, Any] = field(default_factory=dict)


class MultiCheckboxField(SelectMultipleField):
    """Several members ticked in a list (helpers)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


@dataclass(frozen=True)
class Widget:
    """How a package's own field type is typed in a step form, read back for the engine and shown in the history.

    ``field(fdef, label)`` makes the WTForms field; ``fill(wt_field, fdef, choices)`` gives rows built at
    instantiation their options; ``value(wt_field)`` is the engine's data (``ValueError``: a format error worded
    for the page); ``describe(value, member_name)`` words a recorded value; ``member_ids(value)`` names the
    register members a value refers to (the history looks them all up at once). ``needs_members``: the form
    offers the cell's members."""

    field: Callable[[FieldDef, str], Any]
    value: Callable[[Any], Any]
    fill: Callable[[Any, FieldDef, Choices], None] | None = None
    describe: Callable[[Any, Callable[[Any], str]], str] | None = None
    member_ids: Callable[[Any], list[Any]] | None = None
    needs_members: bool = False


WIDGETS: dict[str, Widget] = {}


def widget(type_name: str, entry: Widget) -> Widget:
    """Register the widget of a field type (from a workflow package's ``forms`` module)."""
    WIDGETS[type_name] = entry
    return entry


def unit_options(fdef: FieldDef, choices: Choices) -> list[SelectChoice]:
    """The units of the field's kinds, by name, after a "choose" option; with more than one kind, in a group
    per kind, cells split by type (neighbourhoods and their cells apart from workplace cells)."""
    groups = []
    for kind in fdef.unit_kinds:
        typed = [t for t in CELL_TYPE_GROUPS if f"{kind}:{t}" in choices.units]
        if typed:
            groups += [(CELL_TYPE_GROUPS[t], choices.units[f"{kind}:{t}"]) for t in typed]
        else:
            groups.append((unit_kind_label(kind), choices.units.get(kind, [])))
    groups = [(label, units) for label, units in groups if units]
    first = SelectChoice("", str(_("— choose —")))
    if len(groups) < 2:
        pairs = [(str(i), name) for _label, units in groups for i, name in units]
        return [first] + options(sorted(pairs, key=lambda o: o[1]))
    return [first] + [SelectChoice(str(i), name, optgroup=str(label)) for label, units in groups
                      for i, name in sorted(units, key=lambda u: u[1])]


# How a list of places names the cells of each type.
CELL_TYPE_GROUPS = {"residential": _l("Residential cells"), "workplace": _l("Workplace cells")}


def unit_kind_label(kind: str) -> str:
    from casework.engine.labels import UNIT_KIND_LABELS

    return pick(UNIT_KIND_LABELS.get(kind)) or kind


class StepForm(FlaskForm):
    """The base of every generated step form: which case version the person saw, and which task."""

    expected_version = HiddenField()
    task_id = HiddenField()


def _field_for(fdef: FieldDef, choices: Choices):
    """One WTForms field for one engine field; no validators here (the engine decides)."""
    label = pick(fdef.label)
    kw: dict[str, Any] = {"render_kw": {"aria-required": "true"} if fdef.required else {}}
    if fdef.type == "date":
        kw["render_kw"].update(placeholder=DATE_HINT, inputmode="numeric", autocomplete="off")
        return StringField(label, description=DATE_HINT, **kw)
    if fdef.type == "integer":
        kw["render_kw"].update(min=fdef.min if fdef.min is not None else 0, inputmode="numeric")
        return StringField(label, widget=NumberInput(), **kw)
    if fdef.type == "text":
        return TextAreaField(label, **kw)
    if fdef.type == "boolean":
        return BooleanField(label)
    if fdef.type == "choice":
        pairs = [("", _("— choose —"))] + [(c, choice_label(c)) for c in fdef.choices]
        return SelectField(label, choices=options(pairs), validate_choice=False, **kw)
    if fdef.type == "unit":
        return SelectField(label, choices=unit_options(fdef, choices), validate_choice=False, **kw)
    if fdef.type == "member_ids":
        return MultiCheckboxField(label, choices=options(choices.members), validate_choice=False)
    if fdef.type in WIDGETS:
        return WIDGETS[fdef.type].field(fdef, label)
    if fdef.type == "document":
        attached = choices.documents.get(fdef.form_code or "", [])
        if not attached:  # nothing to choose yet: say what to do instead of offering an empty list
            hint = _("No %(code)s is attached yet: attach it under “Documents” on this page (choose %(code)s as "
                     "its form), then send this step.", code=fdef.form_code)
            return SelectField(label, choices=options([("", _("— none attached yet —"))]), validate_choice=False,
                               description=hint)
        pairs = [("", _("— the newest attached —"))] + attached
        return SelectField(label, choices=options(pairs), validate_choice=False,
                           description=_("The newest %(code)s attached is sent unless you choose another.",
                                         code=fdef.form_code))
    if fdef.max_length:
        kw["render_kw"]["maxlength"] = fdef.max_length
    return StringField(label, **kw)


def build_form(tdef: TransitionDef, choices: Choices, *, formdata=None, prefix: str | None = None,
               skip: frozenset[str] = frozenset()) -> StepForm:
    """A form class made for this step, instantiated with what was submitted (or the defaults). ``skip``: the
    fields that do not apply to this case (``casework.engine.applicability``), left out of the form."""
    attrs = {f.name: _field_for(f, choices) for f in tdef.fields if f.name not in skip}
    form_class = type(f"{tdef.trigger.title().replace('_', '')}Form", (StepForm,), attrs)
    form = form_class(formdata=formdata, prefix=prefix or tdef.trigger, data=choices.defaults or None)
    _fill_row_choices(form, tdef, choices)
    return form


def _fill_row_choices(form: StepForm, tdef: TransitionDef, choices: Choices) -> None:
    """Sub-forms of repeated rows get their options after instantiation (WTForms builds them then)."""
    for fdef in tdef.fields:
        if fdef.name not in form:
            continue
        entry = WIDGETS.get(fdef.type)
        if entry is not None and entry.fill is not None:
            entry.fill(form[fdef.name], fdef, choices)


# --------------------------------------------------------------------------------------------------
# From the submitted form to the engine's data


def parse_dmy(raw: str) -> str | None:
    """'dd/mm/yyyy' (or ISO, from scripts) as an ISO date string, or None when it is not a real date."""
    raw = (raw or "").strip()
    match = _DMY.fullmatch(raw)
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            return date(year, month, day).isoformat()
        return date.fromisoformat(raw).isoformat() if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw) else None
    except ValueError:
        return None


def to_engine_data(form: StepForm, tdef: TransitionDef) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The values to hand to the engine, and format errors the engine could not word for a page
    (a date typed as dd/mm/yyyy that is not a date)."""
    data: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for fdef in tdef.fields:
        if fdef.name not in form:
            continue  # a field that does not apply to this case: not on the form, not sent
        try:
            value = _value(form[fdef.name], fdef)
        except ValueError as exc:
            errors.setdefault(fdef.name, []).append(str(exc))
            continue
        if value not in (None, "", []):
            data[fdef.name] = value
    return data, errors


def date_value(raw: str) -> str | None:
    """A typed dd/mm/yyyy date as ISO; blank: None; not a real date: ``ValueError`` worded for the page."""
    if not (raw or "").strip():
        return None
    iso = parse_dmy(raw)
    if iso is None:
        raise ValueError(_("Enter a real date as dd/mm/yyyy."))
    return iso


def _value(wt_field, fdef: FieldDef) -> Any:
    if fdef.type == "date":
        return date_value(wt_field.data)
    if fdef.type == "boolean":
        return bool(wt_field.data)
    if fdef.type == "member_ids":
        # as sent: the engine reads each as an id (casework.ids) and names the field if one is not
        return [v for v in wt_field.data or [] if str(v).strip()]
    if fdef.type in WIDGETS:
        return WIDGETS[fdef.type].value(wt_field)
    return wt_field.data.strip() if isinstance(wt_field.data, str) else wt_field.data


def attach_reasons(form: StepForm, reasons: list[Reason], format_errors: dict[str, list[str]]) -> list[str]:
    """Put each reason next to the field it names; return the ones about the step as a whole."""
    general = []
    for name, messages in format_errors.items():
        form[name].errors = list(form[name].errors or []) + messages
    for reason in reasons:
        name = reason.params.get("field")
        if name and name in form._fields:
            target = form[name]
            target.errors = list(target.errors or []) + [reason.text(_lang())]
        else:
            general.append(reason.text(_lang()))
    return general


def _lang() -> str:
    from casework.web.i18n import current_language

    return current_language()


def format_value(value: Any) -> str:
    """An ISO date from the history as dd/mm/yyyy; other values as they are."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return datetime.strptime(value, "%Y-%m-%d").strftime("%d/%m/%Y")
    return str(value)
