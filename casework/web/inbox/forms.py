"""The inbox filters: a GET form (bookmarkable, so no CSRF token)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SearchField, SelectField
from wtforms.validators import Length, Optional


class InboxFilterForm(FlaskForm):
    class Meta:
        csrf = False

    name = SearchField(_l("Candidate name"), validators=[Optional(), Length(max=200)])
    state = SelectField(_l("State"), validators=[Optional()], choices=[])
    unit = SelectField(_l("Unit"), validators=[Optional()], choices=[])
    overdue = BooleanField(_l("Overdue only"))
