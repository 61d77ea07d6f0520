"""The search form: a GET form (bookmarkable, so no CSRF token); dates typed as dd/mm/yyyy."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SearchField, SelectField, StringField
from wtforms.validators import Length, Optional

from casework.web.inbox.forms import DmyDateField


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    name = SearchField(_l("Name"), validators=[Optional(), Length(max=200)])
    identifier = StringField(_l("ID number"), validators=[Optional(), Length(max=40)])
    case_number = StringField(_l("Case number"), validators=[Optional(), Length(max=12)],
                              render_kw={"inputmode": "numeric"})
    state = SelectField(_l("State"), validators=[Optional()], choices=[])
    unit = SelectField(_l("Unit"), validators=[Optional()], choices=[])
    status = SelectField(_l("Open or closed"), validators=[Optional()], choices=[])
    opened_from = DmyDateField(_l("Opened from"), validators=[Optional()])
    opened_to = DmyDateField(_l("Opened until"), validators=[Optional()])
    closed_from = DmyDateField(_l("Closed from"), validators=[Optional()])
    closed_to = DmyDateField(_l("Closed until"), validators=[Optional()])
