"""Browser tests: the app served on a free localhost port, driven by Debian's Chromium through Playwright.

The server uses a file SQLite database (or PostgreSQL when ``TEST_DATABASE_URL`` says so) holding the test
organisation, CSRF protection on as in production, and the test clock. A failing test leaves a screenshot
of every open page in ``test-artifacts/``.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from casework.models import Base
from tests.conftest import DATABASE_URL, IS_POSTGRES, truncate_all
from tests.factories import build_org
from tests.walk import referral

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

playwright_api = pytest.importorskip("playwright.sync_api")
if not os.path.exists(CHROMIUM):
    pytest.skip("Debian's chromium is not installed (scripts/test installs it)", allow_module_level=True)


@pytest.fixture(scope="module")
def live_server(request, tmp_path_factory, db_engine):
    """The app in a background thread; yields (base URL, the app, ids and data about the organisation).

    The organisation is ``build_org``'s, or what the test module's ``build_organisation(session)`` builds (a
    workflow's tests add their own units and people to it); the module's ``known_about(org)`` adds to what is
    known of it."""
    from werkzeug.serving import make_server

    from casework import create_app
    from casework.extensions import db
    from tests.conftest import Clock

    url = DATABASE_URL if IS_POSTGRES else f"sqlite:///{tmp_path_factory.mktemp('browser') / 'casework.sqlite'}"
    app = create_app({"TESTING": True, "SECRET_KEY": "browser-test-key", "WTF_CSRF_ENABLED": True,
                      "SQLALCHEMY_DATABASE_URI": url})
    clock = Clock()
    app.extensions["casework_engine"].clock = clock
    with app.app_context():
        Base.metadata.create_all(db.engine)
        org = getattr(request.module, "build_organisation", build_org)(db.session)
        # Plain values: the rows are detached once the session is gone.
        known = {"cell_members": [m.id for m in org.members["cell"] if m.status == "official"],
                 "referral": referral(org)}
        known.update(getattr(request.module, "known_about", lambda _org: {})(org))
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app, known
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        if IS_POSTGRES:
            truncate_all(db.engine)
        db.engine.dispose()


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def open_pages(request):
    """Every page a test opens, so a failure can photograph them all."""
    pages: list = []
    request.node.open_pages = pages
    yield pages
    for page in pages:
        page.context.close()


@pytest.fixture
def new_page(browser, open_pages, live_server):
    """``new_page(width=390)``: a fresh browser context (its own cookies) at the app's address."""
    base_url = live_server[0]

    def make(width: int = 1280, height: int = 900, locale: str = "vi-VN"):
        context = browser.new_context(base_url=base_url, viewport={"width": width, "height": height}, locale=locale)
        context.set_default_timeout(10_000)
        page = context.new_page()
        open_pages.append(page)
        return page

    return make


# axe-core from the npm registry, pinned in tests/browser/package.json and installed by scripts/test.
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
# Served to the page from its own origin through Playwright's routing, so the app's CSP (scripts only from
# 'self') stays in force while axe runs.
AXE_URL = "/__browser-tests__/axe.min.js"
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                      nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))}));
}"""


@pytest.fixture
def axe():
    """``axe(page)``: axe-core's critical and serious violations on the page as it stands now (``[]`` when
    there are none), each as {id, impact, help, nodes}. Usage: ``assert axe(page) == []``."""
    if not AXE.exists():
        pytest.skip("axe-core is not installed (scripts/test runs npm ci in tests/browser)")

    def run(page, impacts: tuple[str, ...] = ("critical", "serious")) -> list[dict]:
        if not getattr(page, "_axe_routed", False):
            page.route(f"**{AXE_URL}", lambda route: route.fulfill(path=str(AXE), content_type="text/javascript"))
            page._axe_routed = True
        if not page.evaluate("typeof axe !== 'undefined'"):
            page.add_script_tag(url=AXE_URL)
        return [v for v in page.evaluate(AXE_RUN) if v["impact"] in impacts]

    return run


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        for index, page in enumerate(getattr(item, "open_pages", [])):
            try:
                page.screenshot(path=str(ARTIFACTS / f"{item.name}-{index}.png"), full_page=True)
            except Exception as exc:  # a closed page cannot be photographed; the failure itself still reports
                report.sections.append(("screenshot", f"page {index}: {exc}"))


def sign_in(page, username: str, password: str = "secret") -> None:
    """A fresh sign-in through the form (cookies of the previous person dropped)."""
    page.context.clear_cookies()
    page.goto("/sign-in")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/")
