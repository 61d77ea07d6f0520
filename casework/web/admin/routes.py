"""Administration pages, for people holding the admin role; each manages the subtree under their unit."""

from __future__ import annotations

import functools
from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from casework.auth import end_sessions, set_password, sign_out_everywhere
from casework.engine import unit_settings
from casework.extensions import db
from casework.ids import parse_id
from casework.models import PartyMember, RoleAssignment, Unit, UnitKind, User
from casework.web.access import register_error_pages
from casework.web.admin import importing
from casework.web.admin.forms import (
    AccountForm,
    ImportForm,
    MemberForm,
    NewAccountForm,
    RoleForm,
    UnitForm,
    role_choices,
)
from casework.web.admin.scope import (
    holds_only_inside,
    managed_account,
    managed_unit,
    require_admin,
    set_path,
    subtree,
    units_left_without_admin,
    visible_accounts,
)
from casework.web.i18n import pick
from casework.web.stepforms import options, parse_dmy
from casework.web.templating import role_name, unit_kind_name

bp = Blueprint("admin", __name__, url_prefix="/admin")
register_error_pages(bp)


@bp.before_request
@login_required
def _admins_only():
    require_admin()


def _unit_choices(units: list[Unit]):
    """Units indented by depth, for a select."""
    return options((u.id, f"{'· ' * (len(u.ancestor_ids) - 1)}{u.name}") for u in units)


def _unit_form(units: list[Unit], obj: Unit | None = None) -> UnitForm:
    form = UnitForm(obj=obj)
    form.kind.choices = options((k.value, unit_kind_name(k.value)) for k in UnitKind)
    form.parent_id.choices = _unit_choices(units)
    form.assigned_cell_id.choices = options([("", "—")] + [(u.id, u.name) for u in units if u.kind == UnitKind.CELL])
    return form


@bp.route("/units", methods=["GET", "POST"])
def units():
    roots = require_admin()
    tree = subtree(db.session, roots)
    form = _unit_form(tree)
    if form.validate_on_submit():
        parent = managed_unit(parse_id(form.parent_id.data) or 0, roots)  # 0: no unit, refused as absent
        if db.session.scalar(sa.select(Unit.id).where(Unit.code == form.code.data.strip())):
            form.code.errors.append(_("This code is already used."))
        else:
            unit = Unit(parent=parent, path="")
            _fill_unit(unit, form, tree)
            db.session.add(unit)
            db.session.flush()
            set_path(unit)
            db.session.commit()
            flash(_("Unit %(name)s added.", name=unit.name), "success")
            return redirect(url_for("admin.units"))
    return render_template("admin/units.html", tree=tree, form=form, import_form=ImportForm())


def _fill_unit(unit: Unit, form: UnitForm, tree: list[Unit]) -> None:
    unit.kind, unit.name, unit.code = form.kind.data, form.name.data.strip(), form.code.data.strip()
    unit.cell_type = form.cell_type.data or None
    unit.ownership = form.ownership.data or None
    assigned = form.assigned_cell_id.data
    allowed = {str(u.id) for u in tree if u.kind == UnitKind.CELL}
    unit.assigned_cell_id = int(assigned) if assigned in allowed else None
    for name in ("industrial_zone", "has_party_org", "admits_members", "organizing_department"):
        setattr(unit, name, bool(getattr(form, name).data))


@bp.route("/units/<id:unit_id>", methods=["GET", "POST"])
def unit(unit_id: int):
    roots = require_admin()
    unit = managed_unit(unit_id, roots)
    tree = subtree(db.session, roots)
    form = _unit_form(tree, obj=unit)
    form.parent_id.data = str(unit.parent_id or "")
    form.assigned_cell_id.data = str(unit.assigned_cell_id or "")
    if request.method == "POST" and form.validate_on_submit():
        clash = db.session.scalar(sa.select(Unit.id).where(Unit.code == form.code.data.strip(), Unit.id != unit.id))
        if clash:
            form.code.errors.append(_("This code is already used."))
        else:
            _fill_unit(unit, form, tree)
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("admin.unit", unit_id=unit.id))
    return _unit_page(unit, form)


def _unit_page(unit: Unit, form: UnitForm, role_form: RoleForm | None = None, member_form: MemberForm | None = None,
               status: int = 200):
    role_form = role_form or RoleForm()
    role_form.role.choices = role_choices(role_name)
    holders = db.session.scalars(sa.select(RoleAssignment).where(RoleAssignment.unit_id == unit.id)
                                 .join(RoleAssignment.user).order_by(User.full_name)).all()
    members = db.session.scalars(sa.select(PartyMember).where(PartyMember.cell_id == unit.id)
                                 .order_by(PartyMember.full_name)).all()
    return render_template("admin/unit.html", unit=unit, form=form, role_form=role_form, holders=holders,
                           members=members, member_form=member_form or MemberForm(),
                           settings=_settings(unit)), status


def _settings(unit: Unit) -> list[dict]:
    """The packages' settings for this kind of unit (``casework.engine.unit_settings``), with their choices
    among the units the administrator manages, the current one and what applies without it."""
    settings = unit_settings.settings_for(unit)
    if not settings:
        return []
    managed = subtree(db.session, require_admin())
    return [{"setting": s, "choices": s.choices(db.session, unit, managed), "current": s.current(db.session, unit),
             "default": s.default(db.session, unit)} for s in settings]


@bp.post("/units/<id:unit_id>/settings/<name>")
def save_setting(unit_id: int, name: str):
    """One setting of the unit: a unit among its choices, or empty to fall back to the default."""
    roots = require_admin()
    unit = managed_unit(unit_id, roots)
    setting = unit_settings.UNIT_SETTINGS.get(name)
    if setting is None or unit.kind not in setting.unit_kinds:
        abort(404)
    raw = (request.form.get("value") or "").strip()
    value = parse_id(raw) if raw else None
    allowed = {i for i, _ in setting.choices(db.session, unit, subtree(db.session, roots))}
    if raw and (value is None or value not in allowed):
        refusal = _("Choose one of the units listed.")
    else:
        reason = setting.save(db.session, unit, value)
        refusal = pick(reason) if reason is not None else None
    if refusal is not None:
        db.session.rollback()
        flash(refusal, "error")
        return _unit_page(unit, _unit_form(subtree(db.session, roots), obj=unit), status=422)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("admin.unit", unit_id=unit.id, _anchor=f"setting-{name}"))


@bp.post("/units/<id:unit_id>/roles")
def add_role(unit_id: int):
    unit = managed_unit(unit_id, require_admin())
    form = RoleForm()
    form.role.choices = role_choices(role_name)
    if form.validate_on_submit():
        user = db.session.scalar(sa.select(User).where(User.username == form.username.data.strip()))
        if user is None:
            form.username.errors.append(_("There is no account with this username."))
        elif user.holds(form.role.data, unit.id):
            form.username.errors.append(_("This person already holds this role here."))
        else:
            db.session.add(RoleAssignment(user=user, unit_id=unit.id, role=form.role.data))
            db.session.commit()
            flash(_("%(name)s is now %(role)s.", name=user.full_name, role=role_name(form.role.data)), "success")
            return redirect(url_for("admin.unit", unit_id=unit.id))
    return _unit_page(unit, _unit_form(subtree(db.session, require_admin()), obj=unit), role_form=form, status=422)


@bp.post("/units/<id:unit_id>/roles/<id:assignment_id>/remove")
def remove_role(unit_id: int, assignment_id: int):
    unit = managed_unit(unit_id, require_admin())
    assignment = db.session.get(RoleAssignment, assignment_id)
    if assignment is None or assignment.unit_id != unit.id:
        abort(404)
    orphaned = units_left_without_admin(db.session, [assignment])
    if orphaned:
        flash(_left_without_admin(orphaned), "error")
        return _unit_page(unit, _unit_form(subtree(db.session, require_admin()), obj=unit), status=409)
    db.session.delete(assignment)
    db.session.commit()
    flash(_("Role removed."), "success")
    return redirect(url_for("admin.unit", unit_id=unit.id))


@bp.post("/units/<id:unit_id>/members")
def add_member(unit_id: int):
    unit = managed_unit(unit_id, require_admin())
    form = MemberForm()
    dates = _member_dates(form) if form.validate_on_submit() else None
    if unit.kind != UnitKind.CELL:
        form.full_name.errors.append(_("Only a party cell keeps a member register."))
    elif dates is not None:
        db.session.add(PartyMember(cell_id=unit.id, full_name=form.full_name.data.strip(), status=form.status.data,
                                   excluded_from_votes=form.excluded_from_votes.data, **dates))
        db.session.commit()
        flash(_("%(name)s added to the register.", name=form.full_name.data.strip()), "success")
        return redirect(url_for("admin.unit", unit_id=unit.id, _anchor="register"))
    return _unit_page(unit, _unit_form(subtree(db.session, require_admin()), obj=unit), member_form=form,
                      status=422)


def _member_dates(form: MemberForm) -> dict[str, date | None] | None:
    values, ok = {}, True
    for name in ("birth_date", "member_since", "official_since"):
        raw = getattr(form, name).data or ""
        iso = parse_dmy(raw) if raw.strip() else None
        if raw.strip() and iso is None:
            getattr(form, name).errors.append(_("Enter a real date as dd/mm/yyyy."))
            ok = False
        values[name] = date.fromisoformat(iso) if iso else None
    return values if ok else None


@bp.post("/import")
def import_file():
    roots = require_admin()
    form = ImportForm()
    if not form.validate_on_submit():
        flash(_("Choose a CSV or XLSX file."), "error")
        return redirect(url_for("admin.units"))
    upload = form.file.data
    try:
        rows = importing.read_rows(upload.filename or "", upload.read())
    except (UnicodeDecodeError, ValueError, KeyError, OSError):
        rows, result = [], importing.ImportResult(errors=[(0, _("The file cannot be read as CSV (UTF-8) or XLSX."))])
    else:
        run = importing.import_units if form.what.data == "units" else importing.import_members
        result = run(db.session, rows, roots)
    if result.errors:
        db.session.rollback()
        return render_template("admin/import_errors.html", result=result, what=form.what.data), 422
    flash(_("%(n)s lines imported.", n=result.created), "success")
    return redirect(url_for("admin.units"))


@bp.get("/accounts")
def accounts():
    query = sa.select(User).where(visible_accounts(require_admin())).order_by(User.full_name)
    return render_template("admin/accounts.html", users=db.session.scalars(query).all())


@bp.route("/accounts/new", methods=["GET", "POST"], defaults={"user_id": None})
@bp.route("/accounts/<id:user_id>", methods=["GET", "POST"])
def account(user_id: int | None):
    roots = require_admin()
    if user_id is None:
        return _new_account(roots)
    user = managed_account(user_id, roots)
    form = AccountForm(obj=user)
    if request.method == "POST":
        if not _may_change(user, roots):
            return _account_page(user, form, roots, status=403)
        if form.validate_on_submit() and _save_account(user, form):
            _commit_account(user)
            return redirect(url_for("admin.accounts"))
    return _account_page(user, form, roots)


def _new_account(roots: list[Unit]):
    form = NewAccountForm()
    form.role.choices = role_choices(role_name)
    form.unit_id.choices = _unit_choices(subtree(db.session, roots))  # a unit elsewhere is not a valid choice
    if form.validate_on_submit():
        user = _save_account(None, form)
        if user is not None:
            db.session.add(RoleAssignment(user=user, unit_id=int(form.unit_id.data), role=form.role.data))
            _commit_account(user)
            return redirect(url_for("admin.accounts"))
    return render_template("admin/account.html", form=form, user=None)


def _account_page(user: User, form: AccountForm, roots: list[Unit], status: int = 200):
    return render_template("admin/account.html", form=form, user=user,
                           may_change=holds_only_inside(user, roots)), status


def _may_change(user: User, roots: list[Unit]) -> bool:
    if holds_only_inside(user, roots):
        return True
    flash(_("This account also holds roles outside the units you manage; only an administrator above them "
            "can change it."), "error")
    return False


def _save_account(user: User | None, form: AccountForm) -> User | None:
    """The account filled from the form (not yet committed), or None with the form's errors. A new password
    ends every session opened with the old one."""
    username = form.username.data.strip()
    clash = db.session.scalar(sa.select(User.id).where(User.username == username,
                                                       User.id != (user.id if user else -1)))
    if clash:
        form.username.errors.append(_("This username is taken."))
        return None
    if user is None and not form.password.data:
        form.password.errors.append(_("A new account needs a password."))
        return None
    user = user or User(username=username)
    user.username, user.full_name = username, form.full_name.data.strip()
    user.email, user.locale = form.email.data or None, form.locale.data
    db.session.add(user)
    if form.password.data:
        set_password(user, form.password.data)
        if user.id is not None:
            end_sessions(db.session, user)
    return user


def _commit_account(user: User) -> None:
    db.session.commit()
    if user.id == current_user.id:
        login_user(user)  # administrators changing their own password stay signed in here, only here
    flash(_("Account %(name)s saved.", name=user.username), "success")


def _left_without_admin(units: list[Unit]) -> str:
    return _("%(units)s would be left without an active administrator.", units=", ".join(u.name for u in units))


def _deactivation_refusal(user: User) -> str | None:
    """Why this account may not be deactivated now, or None."""
    if user.id == current_user.id:
        return _("You cannot deactivate your own account.")
    orphaned = units_left_without_admin(db.session, list(user.roles), leaving_user=user)
    return _left_without_admin(orphaned) if orphaned else None


def _account_action(view):
    """A button on one account: the account must be in the admin's scope (else 404) and changeable by them
    (else 403, the page read-only); the view gets the account and the admin's roots."""

    @functools.wraps(view)
    def checked(user_id: int):
        roots = require_admin()
        user = managed_account(user_id, roots)
        if not _may_change(user, roots):
            return _account_page(user, AccountForm(obj=user), roots, status=403)
        return view(user, roots)

    return checked


def _back_to_account(user: User, message: str):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("admin.account", user_id=user.id))


@bp.post("/accounts/<id:user_id>/deactivate")
@_account_action
def deactivate_account(user: User, roots: list[Unit]):
    """Deactivation is a button of its own: a form that merely lacks a field never deactivates anyone."""
    refusal = _deactivation_refusal(user)
    if refusal:
        flash(refusal, "error")
        return _account_page(user, AccountForm(obj=user), roots, status=409)
    user.active = False
    end_sessions(db.session, user)
    return _back_to_account(user, _("Account %(name)s deactivated: it cannot sign in.", name=user.username))


@bp.post("/accounts/<id:user_id>/reactivate")
@_account_action
def reactivate_account(user: User, roots: list[Unit]):
    user.active = True
    return _back_to_account(user, _("Account %(name)s reactivated.", name=user.username))


@bp.post("/accounts/<id:user_id>/sign-out-everywhere")
@_account_action
def sign_out_account_everywhere(user: User, roots: list[Unit]):
    """For a lost phone or a shared password: every session, remember cookie and API token ends."""
    sign_out_everywhere(db.session, user)
    return _back_to_account(user, _("%(name)s is signed out everywhere; their API tokens are revoked.",
                                    name=user.full_name))


# The import of cases in progress hangs on this blueprint (and its administrators-only guard).
from casework.web.admin import cases_import  # noqa: E402, F401
