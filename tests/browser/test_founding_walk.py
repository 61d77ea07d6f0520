"""One enterprise from identification to a founded cell by clicking through the pages, each role signing in in
turn: the organizer starts the founding case, the founding committee engages the owner, each member cell answers
its transfer task from its own inbox, the committee proposes, the organizer appraises, the authority decides. Then
the new cell is in the organisation tree, on the enterprise's panel and owns the admission case of a worker there,
and the target page's new party organisations moved by one. The start form and the case page are checked at a
phone's and a laptop's width for sideways scrolling and by axe."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from casework.engine.service import start_case
from casework.extensions import db
from casework.models import User
from tests.browser import test_walk as walk_pages
from tests.browser.conftest import sign_in
from tests.conftest import START_DAY
from tests.founding.support import founding_org as build_organisation  # noqa: F401  (live_server builds it)
from tests.walk import referral

ENTERPRISE = "Công ty TNHH Sao Vàng"
COMMUNE = "Đảng ủy phường Kinh Bắc"  # the organizer's and the authority's committee
CELL_NAME = "Chi bộ Công ty TNHH Sao Vàng"
WORKER = "Trần Văn Khải"
TODAY = START_DAY.strftime("%d/%m/%Y")
WIDTHS = (390, 1366)
take_step = walk_pages.take_step


def known_about(org) -> dict:
    """Plain values the clicking needs: the enterprise's party members (name and register id, as the organizer
    lists them), the committee the new cell reports to, and the referral of a worker there."""
    return {"sao_vang_members": [(m.full_name, m.id) for m in org.members["sao_vang"]],
            "grassroots": org.units["grassroots"].id,
            "worker_referral": referral(org, full_name=WORKER, national_id="001200000901",
                                        workplace_unit=org.units["sao_vang"].id,
                                        referring_org=org.units["sao_vang_union"].id)}


def no_sideways_scroll(page) -> None:
    width, view = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= view, f"{page.url} is {width}px wide in a {view}px window"


def check_layout(new_page, axe, url: str, username: str) -> None:
    """The page at a phone's and a laptop's width, every step's form unfolded: nothing to scroll sideways, nothing
    critical or serious for axe."""
    for width in WIDTHS:
        page = new_page(width=width)
        sign_in(page, username)
        page.goto(url)
        page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")  # every step's form
        no_sideways_scroll(page)
        assert axe(page) == [], (url, width)
        page.context.close()


def open_admission_case(app, data: dict) -> int:
    """The worker's admission case, referred by the enterprise's union before the founding (it goes to the
    residential cell the enterprise was assigned to)."""
    with app.app_context():
        officer = db.session.scalar(db.select(User).where(User.username == "sao_vang_union_officer"))
        case = start_case(workflow="admission", session=db.session, engine=app.extensions["casework_engine"],
                          user=officer, data=data)
        case_id = case.id
        db.session.remove()
    return case_id


def new_party_orgs(page) -> str:
    """The commune's figure of new party organisations against its target, as the targets page shows it."""
    page.goto("/monitoring/targets")
    row = page.locator("table.figures tbody tr").filter(has_text=COMMUNE)
    return row.locator("td").nth(3).locator(".progress-figure").inner_text()


def set_target(page) -> None:
    """The organizer allocates the commune two new party organisations this year, through the targets form."""
    page.goto("/monitoring/targets")
    form = page.locator("form[aria-labelledby=enter-target]")
    form.get_by_label("Đơn vị").select_option(label=COMMUNE)
    form.locator("#target-new-party-orgs").fill("2")
    form.get_by_role("button").click()
    expect(page.locator(".flash-success")).to_be_visible()


def start_founding(page, members: list[tuple[str, int]]) -> int:
    """The organizer opens the case from "Start a case", listing the members by name and register id."""
    page.goto("/")
    page.locator('a[href="/referrals/start"]').first.click()
    page.get_by_role("link", name="Đưa doanh nghiệp vào danh sách thành lập tổ chức đảng").click()
    page.get_by_label("Doanh nghiệp").select_option(label=ENTERPRISE)
    page.get_by_label("Số lao động").fill("420")
    page.get_by_label("Đã có công đoàn").check()
    for i, (name, member_id) in enumerate(members):
        page.locator(f"#identify-members-{i}-full_name").fill(name)
        page.locator(f"#identify-members-{i}-member_id").fill(str(member_id))
    page.get_by_label("Ngày rà soát").fill(TODAY)
    page.get_by_role("button", name="Mở hồ sơ").click()
    page.wait_for_url(re.compile(r"/cases/\d+$"))
    expect(page.locator("h1")).to_contain_text(ENTERPRISE)
    return int(page.url.rsplit("/", 1)[1])


def answer_transfer(page, secretary: str) -> None:
    """A member cell's secretary finds the transfer task in their inbox and answers it."""
    sign_in(page, secretary)
    page.get_by_role("link", name=ENTERPRISE).first.click()
    expect(page).to_have_url(re.compile(r"/verification/\d+$"))
    page.get_by_label("Kết quả").select_option("transferred")
    page.get_by_label("Số giấy giới thiệu sinh hoạt đảng").fill(f"{secretary}/GGT")
    page.get_by_label("Ngày chuyển").fill(TODAY)
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".flash-success")).to_be_visible()


def test_an_enterprise_from_identification_to_a_founded_cell_by_clicking(new_page, live_server, axe):
    _, app, known = live_server
    members = known["sao_vang_members"]
    admission_case = open_admission_case(app, known["worker_referral"])
    page = new_page(width=1366)

    sign_in(page, "organizer")
    set_target(page)
    assert new_party_orgs(page).startswith("0 / 2")
    case_id = start_founding(page, members)
    case_url = f"/cases/{case_id}"
    expect(page.locator(".progress [aria-current=step]")).to_contain_text("Rà soát, khảo sát")
    check_layout(new_page, axe, "/referrals/new/founding", "organizer")

    sign_in(page, "grassroots_committee")
    walk_pages.open_case(page, ENTERPRISE)
    take_step(page, "start_engagement", {"contact_person": "Ông Park, Tổng giám đốc",
                                         "zone_board_letter": "120/ĐU-KCN, 02/11/2026"})
    take_step(page, "record_owner_meeting", {"meeting_date": TODAY}, {"owner_position": "supportive"})
    take_step(page, "owner_agreed", {"agreement_date": TODAY, "agreement_document": "Công văn 05/SV"})
    expect(page.locator(".progress [aria-current=step]")).to_contain_text("Chuyển sinh hoạt đảng")
    check_layout(new_page, axe, case_url, "grassroots_committee")

    answer_transfer(page, "res_secretary")
    answer_transfer(page, "far_secretary")

    sign_in(page, "grassroots_committee")
    page.goto(case_url)
    take_step(page, "complete_gathering")
    take_step(page, "submit_proposal", {"interim_secretary": str(members[0][1]), "proposal_number": "15-TTr/ĐU",
                                        "proposal_date": TODAY},
              {"organisation_form": "cell_under_grassroots", "reports_to": str(known["grassroots"])})

    sign_in(page, "organizer")
    walk_pages.open_case(page, ENTERPRISE)
    take_step(page, "appraise", {"appraisal": "Đủ điều kiện thành lập."}, {"recommendation": "found"})

    sign_in(page, "authority")
    walk_pages.open_case(page, ENTERPRISE)
    take_step(page, "decide_founding", {"decision_number": "210-QĐ/ĐU", "decision_date": TODAY,
                                        "cell_name": CELL_NAME})
    expect(page.locator(".progress [aria-current=step], h1 .badge").first).to_contain_text("Đã thành lập")
    # The enterprise's panel names its party organisation now.
    expect(page.locator("#enterprise-title + dl")).to_contain_text(CELL_NAME)
    check_layout(new_page, axe, case_url, "authority")

    # The organisation tree has the new cell under the committee.
    sign_in(page, "admin")
    page.goto("/admin/units")
    expect(page.locator("ul.tree")).to_contain_text(CELL_NAME)
    # The worker's admission case belongs to the new cell, whose interim secretary finds it in their inbox.
    sign_in(page, "member_with_account")
    walk_pages.open_case(page, WORKER)
    assert page.url.endswith(f"/cases/{admission_case}")
    expect(page.locator("main")).to_contain_text(CELL_NAME)
    # The commune's new party organisations moved by one.
    sign_in(page, "organizer")
    assert new_party_orgs(page).startswith("1 / 2")
