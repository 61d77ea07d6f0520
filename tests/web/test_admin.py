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


def test_accounts_are_created_with_a_modern_hash(app, admin):
    response = admin.post("/admin/accounts/new", data={"username": "moi", "full_name": "Người Mới",
                                                       "password": "mat-khau-dai-du", "locale": "en", "active": "y"})
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
