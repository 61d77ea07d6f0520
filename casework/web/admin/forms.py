"""Administration forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from casework.models import CellType, MemberStatus, Ownership, Role, UnitKind

VALUE_LABELS = {
    "workplace": _l("Workplace cell"), "residential": _l("Residential cell"),
    "domestic_private": _l("Domestic private"), "foreign_invested": _l("Foreign-invested"),
    "official": _l("Official member"), "probationary": _l("Probationary member"),
}


def _labelled(values) -> list[SelectChoice]:
    return [SelectChoice(v.value, VALUE_LABELS.get(v.value, v.value)) for v in values]


NONE = SelectChoice("", "—")

REQUIRED = _l("This field is required.")


def required():
    return DataRequired(message=REQUIRED)


class UnitForm(FlaskForm):
    parent_id = SelectField(_l("Parent unit"), choices=[], validate_choice=False)
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k.value) for k in UnitKind], validators=[required()])
    name = StringField(_l("Name"), validators=[required(), Length(max=200)])
    code = StringField(_l("Code"), validators=[required(), Length(max=64)])
    cell_type = SelectField(_l("Cell type"), choices=[NONE, *_labelled(CellType)],
                            validators=[Optional()])
    ownership = SelectField(_l("Ownership"), choices=[NONE, *_labelled(Ownership)],
                            validators=[Optional()])
    assigned_cell_id = SelectField(_l("Cell in charge of its workers"), choices=[], validate_choice=False)
    industrial_zone = BooleanField(_l("In an industrial zone"))
    has_party_org = BooleanField(_l("Has a party organisation"))
    admits_members = BooleanField(_l("Admits members (admitting authority)"))
    organizing_department = BooleanField(_l("Has an organizing department"))


class AccountForm(FlaskForm):
    username = StringField(_l("Username"), validators=[required(), Length(max=80)])
    full_name = StringField(_l("Full name"), validators=[required(), Length(max=200)])
    email = StringField(_l("Email"), validators=[Optional(), Length(max=200), Regexp(
        r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Not a valid email address."))])
    password = PasswordField(_l("New password"), validators=[Optional(), Length(min=10, message=_l(
        "At least 10 characters."))], render_kw={"autocomplete": "new-password"})
    locale = SelectField(_l("Language"), choices=[SelectChoice("vi", "Tiếng Việt"), SelectChoice("en", "English")])
    # No "active" box: an unticked checkbox is indistinguishable from a form that did not send it, so
    # deactivation is its own button (see the account page).


class NewAccountForm(AccountForm):
    """A new account starts with one role in the administrator's subtree, so it is never an orphan that
    only the root's administrators could find again."""

    role = SelectField(_l("Role"), choices=[], validators=[required()])
    unit_id = SelectField(_l("Unit"), choices=[], validators=[required()])


class RoleForm(FlaskForm):
    username = StringField(_l("Username"), validators=[required(), Length(max=80)])
    role = SelectField(_l("Role"), choices=[], validators=[required()])


def role_choices(role_name) -> list[SelectChoice]:
    return [SelectChoice(r.value, role_name(r.value)) for r in Role]


class MemberForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[required(), Length(max=200)])
    birth_date = StringField(_l("Date of birth"), description="dd/mm/yyyy", validators=[Optional()])
    status = SelectField(_l("Status"), choices=_labelled(MemberStatus))
    member_since = StringField(_l("Admitted on"), description="dd/mm/yyyy", validators=[Optional()])
    official_since = StringField(_l("Official since"), description="dd/mm/yyyy", validators=[Optional()])
    excluded_from_votes = BooleanField(_l("Not counted in votes (temporary transfer or exempt)"))


class ImportForm(FlaskForm):
    what = SelectField(_l("What the file holds"), choices=[SelectChoice("units", _l("Units")),
                                                              SelectChoice("members", _l("Party members"))])
    file = FileField(_l("CSV or XLSX file"), validators=[FileRequired(message=_l("Choose a file to upload."))],
                     render_kw={"accept": ".csv,.xlsx"})
