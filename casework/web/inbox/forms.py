"""The inbox filters (a GET form: bookmarkable, so no CSRF token), handing a task to a colleague, and naming a
delegate."""

from datetime import date

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SearchField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from casework.web.stepforms import DATE_HINT, parse_dmy


class InboxFilterForm(FlaskForm):
    class Meta:
        csrf = False

    name = SearchField(_l("Candidate name"), validators=[Optional(), Length(max=200)])
    state = SelectField(_l("State"), validators=[Optional()], choices=[])
    unit = SelectField(_l("Unit"), validators=[Optional()], choices=[])
    overdue = BooleanField(_l("Overdue only"))


class DmyDateField(StringField):
    """A date typed as dd/mm/yyyy (or ISO), as every date on these pages; ``data`` is the date or None."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {}).update(placeholder=DATE_HINT, inputmode="numeric", autocomplete="off")
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        self.raw = valuelist[0] if valuelist else ""
        iso = parse_dmy(self.raw) if self.raw.strip() else None
        self.data = date.fromisoformat(iso) if iso else None
        if self.raw.strip() and iso is None:
            raise ValueError(gettext("Enter a real date as dd/mm/yyyy."))  # a str: the form macro shows strings

    def _value(self):
        return getattr(self, "raw", None) or (self.data.strftime("%d/%m/%Y") if self.data else "")


class AssignForm(FlaskForm):
    """Hand a task to a colleague holding its role at its unit."""

    assignee = SelectField(_l("Colleague"), validators=[DataRequired()], choices=[])


class DelegationForm(FlaskForm):
    """Name a delegate who acts for you at one of your units for a period (first and last day included)."""

    unit = SelectField(_l("At unit"), validators=[DataRequired()], choices=[])
    delegate = StringField(_l("Delegate's username"), validators=[DataRequired(), Length(max=80)],
                           description=_l("The colleague who acts for you; they see your tasks at this unit."))
    starts_on = DmyDateField(_l("First day"), validators=[DataRequired(message=_l("Enter the first day."))])
    ends_on = DmyDateField(_l("Last day"), validators=[DataRequired(message=_l("Enter the last day."))])
