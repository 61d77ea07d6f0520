"""Administration pages, for people holding the admin role; each manages the subtree under their unit."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from casework.auth import set_password
from casework.extensions import db
from casework.models import PartyMember, RoleAssignment, Unit, UnitKind, User
from casework.web.access import register_error_pages
from casework.web.admin import importing
from casework.web.admin.forms import AccountForm, ImportForm, MemberForm, RoleForm, UnitForm, role_choices
from casework.web.admin.scope import managed_unit, require_admin, set_path, subtree
from casework.web.stepforms import options, parse_dmy
from casework.web.templating import role_name, unit_kind_name

bp = Blueprint("admin", __name__, url_prefix="/admin")
register_error_pages(bp)


@bp.before_request
@login_required
def _admins_only():
    require_admin()


def _unit_form(units: list[Unit], obj: Unit | None = None) -> UnitForm:
    form = UnitForm(obj=obj)
    form.kind.choices = options((k.value, unit_kind_name(k.value)) for k in UnitKind)
    form.parent_id.choices = options((u.id, f"{'· ' * (len(u.ancestor_ids) - 1)}{u.name}") for u in units)
    form.assigned_cell_id.choices = options([("", "—")] + [(u.id, u.name) for u in units if u.kind == UnitKind.CELL])
    return form


@bp.route("/units", methods=["GET", "POST"])
def units():
    roots = require_admin()
    tree = subtree(db.session, roots)
    form = _unit_form(tree)
    if form.validate_on_submit():
        parent = managed_unit(int(form.parent_id.data or 0), roots)
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


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
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
                           members=members, member_form=member_form or MemberForm()), status


@bp.post("/units/<int:unit_id>/roles")
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


@bp.post("/units/<int:unit_id>/roles/<int:assignment_id>/remove")
def remove_role(unit_id: int, assignment_id: int):
    unit = managed_unit(unit_id, require_admin())
    assignment = db.session.get(RoleAssignment, assignment_id)
    if assignment is None or assignment.unit_id != unit.id:
        abort(404)
    db.session.delete(assignment)
    db.session.commit()
    flash(_("Role removed."), "success")
    return redirect(url_for("admin.unit", unit_id=unit.id))


@bp.post("/units/<int:unit_id>/members")
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
    users = db.session.scalars(sa.select(User).order_by(User.full_name)).all()
    return render_template("admin/accounts.html", users=users)


@bp.route("/accounts/new", methods=["GET", "POST"], defaults={"user_id": None})
@bp.route("/accounts/<int:user_id>", methods=["GET", "POST"])
def account(user_id: int | None):
    user = db.session.get(User, user_id) if user_id else None
    if user_id and user is None:
        abort(404)
    form = AccountForm(obj=user)
    if form.validate_on_submit() and _save_account(user, form):
        return redirect(url_for("admin.accounts"))
    return render_template("admin/account.html", form=form, user=user)


def _save_account(user: User | None, form: AccountForm) -> bool:
    username = form.username.data.strip()
    clash = db.session.scalar(sa.select(User.id).where(User.username == username,
                                                       User.id != (user.id if user else -1)))
    if clash:
        form.username.errors.append(_("This username is taken."))
        return False
    if user is None and not form.password.data:
        form.password.errors.append(_("A new account needs a password."))
        return False
    user = user or User(username=username)
    user.username, user.full_name = username, form.full_name.data.strip()
    user.email, user.locale, user.active = form.email.data or None, form.locale.data, bool(form.active.data)
    if form.password.data:
        set_password(user, form.password.data)
    db.session.add(user)
    db.session.commit()
    flash(_("Account %(name)s saved.", name=user.username), "success")
    return True
