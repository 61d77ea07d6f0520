"""Administration: the units tree and attributes, accounts and roles per unit, the member register, and
all-or-nothing imports from CSV and XLSX with line-numbered errors."""

from __future__ import annotations

from io import BytesIO

import pytest
import sqlalchemy as sa

from casework.extensions import db
from casework.models import PartyMember, RoleAssignment, Unit, User
from tests.factories import RoleFactory, UserFactory, use_session
from tests.web.conftest import sign_in, text


@pytest.fixture
def admin(app, web_org, page):
    """An administrator of the commune's subtree (not of the other commune)."""
    use_session(db.session)
    user = UserFactory(username="admin", full_name="Quản Trị Viên")
    RoleFactory(user=user, unit=web_org.commune, role="admin")
    db.session.commit()
    return page("admin")


def test_only_administrators_enter(page):
    assert page("cell_secretary").get("/admin/units").status_code == 403


def test_the_tree_shows_kinds_and_attributes_of_the_admins_subtree(admin, web_org):
    body = text(admin.get("/admin/units"))
    assert "Đảng ủy phường Kinh Bắc" in body and "có thẩm quyền kết nạp" in body and "Chi bộ" in body
    assert "Đảng ủy xã Tiên Du" not in body
    assert admin.get(f"/admin/units/{web_org.other_commune.id}").status_code == 404


def test_adding_and_editing_a_unit(admin, web_org):
    response = admin.post("/admin/units", data={"parent_id": str(web_org.commune.id), "kind": "cell",
                                                "name": "Chi bộ Công ty Ánh Dương", "code": "CB-AD",
                                                "cell_type": "workplace"})
    assert response.status_code == 302
    unit = db.session.scalar(sa.select(Unit).where(Unit.code == "CB-AD"))
    assert unit.path == f"{web_org.commune.path}{unit.id}/"
    admin.post(f"/admin/units/{unit.id}", data={"kind": "grassroots_committee", "name": "Đảng ủy Ánh Dương",
                                                "code": "CB-AD", "admits_members": "y"})
    db.session.expire_all()
    assert unit.admits_members and unit.kind == "grassroots_committee"


@pytest.mark.parametrize("parent", ["²", "99999999999999999999", "2147483648", "-1", ""])
def test_a_new_unit_under_a_malformed_parent_is_refused_and_nothing_is_added(admin, web_org, parent):
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Unit))
    response = admin.post("/admin/units", data={"parent_id": parent, "kind": "cell", "name": "Chi bộ X",
                                                "code": "CB-X", "cell_type": "workplace"})
    assert response.status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Unit)) == before


def test_roles_are_given_and_removed_per_unit(admin, web_org):
    given = admin.post(f"/admin/units/{web_org.cell.id}/roles", data={"username": "youth_officer",
                                                                      "role": "cell_secretary"})
    assert given.status_code == 302
    assignment = db.session.scalar(sa.select(RoleAssignment).where(RoleAssignment.unit_id == web_org.cell.id,
                                                                   RoleAssignment.role == "cell_secretary",
                                                                   RoleAssignment.user_id == web_org.users[
                                                                       "youth_officer"].id))
    assert assignment is not None
    unknown = admin.post(f"/admin/units/{web_org.cell.id}/roles", data={"username": "ghost", "role": "admin"})
    assert unknown.status_code == 422 and "Không có tài khoản" in text(unknown)
    admin.post(f"/admin/units/{web_org.cell.id}/roles/{assignment.id}/remove")
    assert db.session.get(RoleAssignment, assignment.id) is None


def test_the_member_register(admin, web_org):
    response = admin.post(f"/admin/units/{web_org.cell.id}/members", data={
        "full_name": "Đinh Công Tráng", "birth_date": "03/02/1980", "status": "official",
        "member_since": "19/05/2010", "official_since": "19/05/2011"})
    assert response.status_code == 302
    member = db.session.scalar(sa.select(PartyMember).where(PartyMember.full_name == "Đinh Công Tráng"))
    assert member.member_since.isoformat() == "2010-05-19"
    assert "Đinh Công Tráng" in text(admin.get(f"/admin/units/{web_org.cell.id}"))


def test_accounts_are_created_with_a_modern_hash(app, admin, web_org):
    response = admin.post("/admin/accounts/new", data={"username": "moi", "full_name": "Người Mới",
                                                       "password": "mat-khau-dai-du", "locale": "en",
                                                       "role": "cell_secretary", "unit_id": str(web_org.cell.id)})
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.username == "moi"))
    assert user.password_hash.startswith("scrypt:")
    assert sign_in(app.test_client(), "moi", "mat-khau-dai-du").status_code == 302


def _csv(text_: str) -> tuple[BytesIO, str]:
    return BytesIO(text_.encode("utf-8")), "units.csv"


def test_importing_units_from_csv(admin, web_org):
    content = (f"code,name,kind,parent_code,cell_type,ownership,has_party_org,assigned_cell_code\n"
               f"DN-X,Công ty Xuân Thành,enterprise,{web_org.commune.code},,domestic_private,no,CB-X\n"
               f"CB-X,Chi bộ Xuân Thành,cell,{web_org.commune.code},workplace,,,\n")
    response = admin.post("/admin/import", data={"what": "units", "file": _csv(content)},
                          content_type="multipart/form-data")
    assert response.status_code == 302
    enterprise = db.session.scalar(sa.select(Unit).where(Unit.code == "DN-X"))
    cell = db.session.scalar(sa.select(Unit).where(Unit.code == "CB-X"))
    assert enterprise.assigned_cell_id == cell.id and cell.path.startswith(web_org.commune.path)


def test_a_bad_line_imports_nothing_and_is_named_by_number(admin, web_org):
    content = (f"code,name,kind,parent_code\n"
               f"OK-1,Đơn vị tốt,cell,{web_org.commune.code}\n"
               f"BAD-2,Đơn vị sai,planet,{web_org.commune.code}\n"
               f"BAD-3,Ngoài phạm vi,cell,{web_org.other_commune.code}\n")
    response = admin.post("/admin/import", data={"what": "units", "file": _csv(content)},
                          content_type="multipart/form-data")
    body = text(response)
    assert response.status_code == 422
    assert "3 không có loại đơn vị planet" in body and "4 đơn vị cấp trên" in body
    assert db.session.scalar(sa.select(Unit).where(Unit.code == "OK-1")) is None


def test_importing_members_from_xlsx(admin, web_org):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["cell_code", "full_name", "birth_date", "status", "member_since", "official_since"])
    sheet.append([web_org.cell.code, "Lò Văn Giàng", "12/12/1985", "official", "01/01/2015", "01/01/2016"])
    sheet.append([web_org.cell.code, "Mai Thị Thu", None, "probationary", "01/06/2026", None])
    buffer = BytesIO()
    book.save(buffer)
    buffer.seek(0)
    response = admin.post("/admin/import", data={"what": "members", "file": (buffer, "members.xlsx")},
                          content_type="multipart/form-data")
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(PartyMember.id)).where(
        PartyMember.full_name.in_(["Lò Văn Giàng", "Mai Thị Thu"]))) == 2


def test_members_outside_the_admins_cells_are_refused(admin, web_org):
    content = f"cell_code,full_name\n{web_org.other_cell.code},Người Ngoài\n{web_org.cell.code},\n"
    response = admin.post("/admin/import", data={"what": "members", "file": _csv(content)},
                          content_type="multipart/form-data")
    body = text(response)
    assert response.status_code == 422 and "2" in body and "3 cần có họ tên" in body


# --- Accounts are scoped like units -------------------------------------------------------------------


def _user(username: str) -> User:
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.username == username))


def _account_data(user: User, **changes) -> dict:
    return {"username": user.username, "full_name": user.full_name, "locale": user.locale, **changes}


def test_the_account_list_holds_only_accounts_with_a_role_in_the_subtree(admin, web_org):
    body = text(admin.get("/admin/accounts"))
    assert web_org.users["cell_secretary"].full_name in body
    for outside in ("other_secretary", "province_organizer"):
        assert web_org.users[outside].full_name not in body


def test_a_foreign_account_answers_404_and_keeps_its_password(app, admin, web_org):
    foreign = web_org.users["other_secretary"]
    assert admin.get(f"/admin/accounts/{foreign.id}").status_code == 404
    changed = admin.post(f"/admin/accounts/{foreign.id}", data=_account_data(foreign, password="da-doi-mat-khau"))
    assert changed.status_code == 404
    for action in ("deactivate", "reactivate", "sign-out-everywhere"):
        assert admin.post(f"/admin/accounts/{foreign.id}/{action}").status_code == 404
    assert sign_in(app.test_client(), "other_secretary").status_code == 302
    assert _user("other_secretary").active


def test_an_account_with_no_role_is_seen_only_from_the_root(app, admin, web_org, page):
    use_session(db.session)
    loner = UserFactory(username="loner", full_name="Người Chưa Có Vai Trò")
    chief = UserFactory(username="chief", full_name="Quản Trị Tỉnh")
    RoleFactory(user=chief, unit=web_org.province, role="admin")
    db.session.commit()
    assert admin.get(f"/admin/accounts/{loner.id}").status_code == 404
    assert "Người Chưa Có Vai Trò" not in text(admin.get("/admin/accounts"))
    assert "Người Chưa Có Vai Trò" in text(page("chief").get("/admin/accounts"))


def test_an_account_also_acting_outside_the_subtree_is_shown_but_not_changed(app, admin, web_org):
    use_session(db.session)
    both = web_org.users["cell_secretary"]
    RoleFactory(user=both, unit=web_org.other_cell, role="cell_secretary")
    db.session.commit()
    shown = admin.get(f"/admin/accounts/{both.id}")
    assert shown.status_code == 200 and "chỉ quản trị viên cấp trên" in text(shown)
    refused = admin.post(f"/admin/accounts/{both.id}", data=_account_data(both, password="chiem-quyen-123"))
    assert refused.status_code == 403
    assert admin.post(f"/admin/accounts/{both.id}/deactivate").status_code == 403
    assert sign_in(app.test_client(), "cell_secretary").status_code == 302


def test_a_new_account_needs_a_role_in_the_subtree(admin, web_org):
    data = {"username": "moi", "full_name": "Người Mới", "password": "mat-khau-dai-du", "locale": "vi"}
    assert admin.post("/admin/accounts/new", data=data).status_code == 200
    outside = admin.post("/admin/accounts/new", data={**data, "role": "cell_secretary",
                                                       "unit_id": str(web_org.other_cell.id)})
    assert outside.status_code == 200 and _user("moi") is None
    admin.post("/admin/accounts/new", data={**data, "role": "cell_secretary", "unit_id": str(web_org.cell.id)})
    assert _user("moi").holds("cell_secretary", web_org.cell.id)
    assert "Người Mới" in text(admin.get("/admin/accounts"))


def test_saving_a_form_without_the_active_field_deactivates_nobody(admin, web_org):
    secretary = web_org.users["cell_secretary"]
    assert admin.post(f"/admin/accounts/{secretary.id}", data=_account_data(secretary)).status_code == 302
    assert _user("cell_secretary").active


def test_deactivation_is_its_own_button_and_ends_the_sessions(app, admin, web_org):
    secretary = web_org.users["cell_secretary"]
    client = app.test_client()
    sign_in(client, "cell_secretary", remember="y")
    assert admin.post(f"/admin/accounts/{secretary.id}/deactivate").status_code == 302
    assert not _user("cell_secretary").active
    assert client.get("/").status_code == 302
    admin.post(f"/admin/accounts/{secretary.id}/reactivate")
    assert _user("cell_secretary").active
    assert client.get("/").status_code == 302, "reactivation does not bring old cookies back"
    assert sign_in(app.test_client(), "cell_secretary").status_code == 302


def test_an_administrator_cannot_deactivate_themselves(admin, web_org):
    me = _user("admin")
    refused = admin.post(f"/admin/accounts/{me.id}/deactivate")
    assert refused.status_code == 409 and "không thể tự vô hiệu hóa" in text(refused)
    assert _user("admin").active and admin.get("/admin/accounts").status_code == 200


def test_the_last_administrator_of_a_unit_is_kept(admin, web_org):
    mine = db.session.scalar(sa.select(RoleAssignment).where(RoleAssignment.role == "admin"))
    refused = admin.post(f"/admin/units/{web_org.commune.id}/roles/{mine.id}/remove")
    assert refused.status_code == 409 and "không còn quản trị viên" in text(refused)
    assert db.session.get(RoleAssignment, mine.id) is not None
    use_session(db.session)
    RoleFactory(user=web_org.users["authority"], unit=web_org.commune, role="admin")
    db.session.commit()
    assert admin.post(f"/admin/units/{web_org.commune.id}/roles/{mine.id}/remove").status_code == 302
    assert db.session.get(RoleAssignment, mine.id) is None


def test_deactivating_the_last_administrator_above_a_unit_is_refused(admin, web_org):
    """Through the pages an administrator always covers whom they deactivate; the rule itself holds
    whoever asks."""
    from casework.web.admin.scope import units_left_without_admin

    use_session(db.session)
    cell_admin = UserFactory(username="cell_admin")
    RoleFactory(user=cell_admin, unit=web_org.other_cell, role="admin")
    RoleFactory(user=cell_admin, unit=web_org.cell, role="admin")
    db.session.commit()
    orphaned = units_left_without_admin(db.session, list(cell_admin.roles), leaving_user=cell_admin)
    assert [u.id for u in orphaned] == [web_org.other_cell.id], "the commune's admin still covers the cell"
    admin_user = _user("admin")
    assert units_left_without_admin(db.session, list(admin_user.roles), leaving_user=admin_user) == [
        web_org.commune]


def test_a_new_password_ends_the_sessions_opened_with_the_old_one(app, admin, web_org):
    secretary = web_org.users["cell_secretary"]
    client = app.test_client()
    sign_in(client, "cell_secretary", remember="y")
    admin.post(f"/admin/accounts/{secretary.id}", data=_account_data(secretary, password="mat-khau-moi-dai"))
    assert client.get("/").status_code == 302
    assert sign_in(app.test_client(), "cell_secretary", "mat-khau-moi-dai").status_code == 302


def test_an_administrator_changing_their_own_password_stays_signed_in(admin):
    me = _user("admin")
    changed = admin.post(f"/admin/accounts/{me.id}", data=_account_data(me, password="mat-khau-moi-dai"))
    assert changed.status_code == 302
    assert admin.get("/admin/accounts").status_code == 200


def test_sign_out_everywhere_ends_cookies_and_tokens(app, admin, web_org):
    from casework.auth import create_token

    secretary = web_org.users["cell_secretary"]
    token = create_token(db.session, secretary)
    client = app.test_client()
    sign_in(client, "cell_secretary", remember="y")
    remembered = app.test_client()
    remembered.set_cookie("remember_token", client.get_cookie("remember_token").value)
    page_ = admin.post(f"/admin/accounts/{secretary.id}/sign-out-everywhere", follow_redirects=True)
    assert "đăng xuất khỏi mọi nơi" in text(page_)
    assert client.get("/").status_code == 302 and remembered.get("/").status_code == 302
    assert app.test_client().get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert _user("cell_secretary").active
