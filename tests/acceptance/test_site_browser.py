"""The built demo site in a real headless Chromium: navigation, table sorting and filtering,
search by a Chinese name, no request leaving localhost, no console errors. Screenshots go to
test-artifacts/site/. Skipped when Chromium or Playwright is missing, except on CI
(CI=true or DEALBOOK_REQUIRE_BROWSER=1), where that is a failure."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from dealbook.checks.reading import open_book

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("DEALBOOK_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts" / "site"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def required() -> bool:
    return os.environ.get("CI") == "true" or bool(os.environ.get("DEALBOOK_REQUIRE_BROWSER"))


def unavailable(reason: str) -> None:
    if required():
        pytest.fail(f"browser tests are required here but {reason}")
    pytest.skip(reason)


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[str]:
    """The demo site built into a temporary folder and served on 127.0.0.1; yields its base URL."""
    public = tmp_path_factory.mktemp("browser") / "public"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(public)],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(public)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is not installed")
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        unavailable(f"Chromium is not installed at {CHROMIUM}")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM if os.path.exists(CHROMIUM)
                                              else shutil.which("chromium"), args=ARGS)
        yield launched
        launched.close()


class Watch:
    """A page whose every request and console message is recorded; requests off localhost are blocked."""

    def __init__(self, browser, base: str) -> None:
        self.base = base
        self.requests: list[str] = []
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.page.route("**/*", self._route)
        self.page.on("console", lambda m: self.errors.append(f"console {m.type}: {m.text}")
                     if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))

    def _route(self, route) -> None:
        url = route.request.url
        self.requests.append(url)
        host = urlsplit(url).hostname
        if url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def check(self) -> None:
        assert self.outside == [], f"requests left localhost: {self.outside}"
        assert self.errors == [], self.errors
        assert self.requests, "no request was seen"
        self.page.close()


@pytest.fixture
def watch(browser, site) -> Iterator[Watch]:
    watched = Watch(browser, site)
    yield watched
    watched.check()


@pytest.fixture(scope="module")
def demo():
    return open_book(str(ROOT))


def test_home_page_links_to_a_customer_page(watch: Watch, demo):
    page = watch.page
    page.goto(watch.base)
    assert page.locator("h1").first.inner_text() == "销售看板"
    assert page.locator(".db-card").count() == 9  # with receivables overdue, quotes awaiting approval, new leads
    assert "在途" in page.locator(".db-card").first.inner_text()
    assert page.locator("h2", has_text="本月阶段转化").count() == 1
    watch.shot("home")
    page.locator("a", has_text="全部客户").first.click()
    page.wait_for_url("**/customers/")
    first = page.locator("#db-customers tbody tr").first.locator("td").nth(0).locator("a")
    name = first.inner_text()
    first.click()
    page.wait_for_load_state()
    assert page.locator("h1").first.inner_text() == name
    customer = next(c for c in demo.customers.values() if c.name == name)
    assert page.locator(".db-head-line code").first.inner_text() == customer.id
    followups = demo.followups_of(customer.id)
    assert page.locator(".db-followup").count() == len(followups)
    if followups:
        newest = followups[-1]
        assert newest.summary in page.locator(".db-followup").first.inner_text()
    watch.shot("customer")


def column(page, index: int, attribute: str | None = None) -> list[str]:
    cells = page.locator(f"#db-customers tbody tr:not([hidden]) td:nth-child({index})")
    if attribute:
        return [cells.nth(i).get_attribute(attribute) for i in range(cells.count())]
    return cells.all_inner_texts()


def test_the_customers_table_sorts_and_filters(watch: Watch, demo):
    page = watch.page
    page.goto(watch.base + "customers/")
    rows = page.locator("#db-customers tbody tr")
    assert rows.count() == len(demo.customers)
    due_header = page.locator("#db-customers thead th").nth(9)
    due_header.click()
    dues = [d if d != "—" else "" for d in column(page, 10)]
    assert dues == sorted(dues)
    due_header.click()
    dues = [d if d != "—" else "" for d in column(page, 10)]
    assert dues == sorted(dues, reverse=True)
    page.locator("#db-customers thead th").nth(1).click()  # stage, by its order in the process
    orders = [int(v) for v in column(page, 2, "data-v")]
    assert orders == sorted(orders)
    page.locator("#db-customers thead th").nth(4).click()  # amount, as a number
    amounts = [float(v) if v else float("-inf") for v in column(page, 5, "data-v")]
    assert amounts == sorted(amounts)
    watch.shot("customers-sorted")
    target = sorted(demo.customers.values(), key=lambda c: c.id)[3]
    page.locator("input.db-filter").fill(target.name)
    visible = page.locator("#db-customers tbody tr:not([hidden])")
    assert visible.count() == sum(1 for c in demo.customers.values() if target.name in c.name
                                  or target.name in c.region)
    assert target.name in visible.first.inner_text()
    page.locator("input.db-filter").fill("")
    assert page.locator("#db-customers tbody tr:not([hidden])").count() == len(demo.customers)


def test_search_finds_a_customer_by_chinese_name(watch: Watch, demo):
    page = watch.page
    page.goto(watch.base)
    target = sorted(demo.customers.values(), key=lambda c: c.id)[0]
    page.locator("label.md-search__icon, .md-search__input").first.click()
    box = page.locator("input.md-search__input")
    box.fill(target.name)
    box.press("End")  # Material searches on keyup; text entered through an IME ends with one
    result = page.locator(".md-search-result__item", has_text=target.name).first
    result.wait_for(timeout=15000)
    watch.shot("search")
    result.locator("a").first.click()
    page.wait_for_load_state()
    assert page.locator("h1").first.inner_text() == target.name


def test_an_owner_page_shows_the_agenda(watch: Watch, demo):
    page = watch.page
    page.goto(watch.base + "owners/")
    link = page.locator("#db-owners tbody a").first
    name = link.inner_text()
    link.click()
    page.wait_for_load_state()
    assert page.locator("h1").first.inner_text() == name
    assert page.locator("h3").count() >= 3  # overdue / today / this week
    watch.shot("owner")


def test_search_finds_a_company_by_a_fragment_of_its_chinese_name(watch: Watch, demo):
    """"华辰" finds 深圳华辰精密电子有限公司: Material segments Chinese with jieba at build time."""
    page = watch.page
    page.goto(watch.base)
    page.locator("label.md-search__icon, .md-search__input").first.click()
    box = page.locator("input.md-search__input")
    box.fill("华辰")
    box.press("End")
    result = page.locator(".md-search-result__item", has_text="华辰").first
    result.wait_for(timeout=15000)
    assert result.inner_text().replace("\u200b", "").startswith("深圳华辰精密电子有限公司")
    watch.shot("search-fragment")


def page_kinds(demo) -> dict[str, str]:
    """One URL of every kind of page the site has."""
    lost = next(c for c in sorted(demo.customers.values(), key=lambda c: c.id) if c.stage == "lost")
    won = next(c for c in sorted(demo.customers.values(), key=lambda c: c.id) if c.stage == "after_sales")
    return {"home": "", "customers": "customers/", "customer-lost": f"customers/{lost.id}/",
            "customer-won": f"customers/{won.id}/", "board": "board/", "agenda": "agenda/", "owners": "owners/",
            "owner": "owners/zhang/", "by-stage": "by/stage/proposal/", "by-industry": "by/industry/C39/",
            "reports": "reports/", "report-window": "reports/funnel/this-month/",
            "report-snapshot": "reports/pipeline/", "report-slowest": "reports/slowest-deals/",
            "forecast": "reports/forecast/this-quarter/", "process": "process/", "problems": "problems/",
            "at-risk": "at-risk/", "changes": "changes/", "reviews": "reviews/", "monday": "reviews/monday/",
            "friday": "reviews/friday/zhang/", "month": "reviews/month/", "guide": "guide/site/"}


def test_no_page_scrolls_sideways_on_a_phone_and_chart_text_stays_readable(browser, site, demo):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        for kind, path in page_kinds(demo).items():
            response = page.goto(site + path)
            assert response is not None and response.ok, path
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{kind} ({path}) is {width} px wide at 390 px"
            sizes = page.evaluate("""Array.from(document.querySelectorAll('.db-chart text, .db-chart span'))
                .filter(e => e.textContent.trim()).map(e => parseFloat(getComputedStyle(e).fontSize)
                    * (e.closest('svg') ? e.closest('svg').getScreenCTM().a : 1))""")
            assert all(size >= 11 for size in sizes), f"{kind}: chart text {min(sizes)} px"
            if kind in ("home", "board", "customers", "reports", "report-snapshot"):
                page.screenshot(path=str(ARTIFACTS / f"phone-{kind}.png"), full_page=True)
    finally:
        page.close()


def test_desktop_tables_use_the_width(watch: Watch):
    page = watch.page
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(watch.base + "customers/")
    width = page.evaluate("document.querySelector('.md-content').getBoundingClientRect().width")
    assert width > 1000, f"the content column is {width} px on a 1366 px screen"
    watch.shot("customers-wide")


def test_a_lost_customer_has_no_grade_badge(watch: Watch, demo):
    page = watch.page
    lost = [c for c in demo.customers.values() if c.stage == "lost"]
    assert lost
    page.goto(watch.base + f"customers/{lost[0].id}/")
    assert page.locator(".db-head-line .db-badge").count() == 0
    page.goto(watch.base + "customers/")
    for customer in lost:
        row = page.locator("#db-customers tbody tr", has_text=customer.id)
        assert row.locator(".db-badge").count() == 0, customer.id
    open_graded = page.locator("#db-customers tbody tr .db-badge").count()
    assert open_graded == sum(1 for c in demo.customers.values() if demo.settings.is_open(c.stage))


def test_the_board_columns_add_up_to_the_pipeline_report(watch: Watch):
    page = watch.page
    page.goto(watch.base + "reports/pipeline/")
    report = {}
    for row in page.locator("table.db-report tbody tr").all():
        cells = row.locator("td")
        report[cells.nth(0).inner_text()] = (int(cells.nth(1).get_attribute("data-v")),
                                             int(cells.nth(2).get_attribute("data-v")))
    page.goto(watch.base + "board/")
    board = {}
    for column in page.locator(".db-board-col").all():
        board[column.locator("h2").inner_text()] = (int(column.locator(".db-board-count").get_attribute("data-v")),
                                                    int(column.locator(".db-board-amount").get_attribute("data-v")))
        assert column.locator(".db-board-card").count() == min(60, board[column.locator("h2").inner_text()][0])
    assert board == report and sum(n for n, _ in board.values()) > 0
    watch.shot("board")


def test_the_review_pages_print_as_handouts(watch: Watch):
    page = watch.page
    for path in ("reviews/monday/", "reviews/friday/zhang/", "reviews/month/"):
        page.goto(watch.base + path)
        page.emulate_media(media="print")
        hidden = page.evaluate("""['.md-header', '.md-sidebar--primary', '.md-footer', '.db-print']
            .map(s => document.querySelector(s)).filter(Boolean).map(e => getComputedStyle(e).display)""")
        assert hidden and set(hidden) == {"none"}, (path, hidden)
        assert page.locator("h1").first.is_visible()
        page.emulate_media(media="screen")
    page.goto(watch.base + "reviews/monday/")
    assert page.locator(".db-review-item").count() >= 1
    watch.shot("monday")


def test_the_overdue_count_leaves_out_after_sales_customers_unless_a_visit_is_overdue(watch: Watch, demo):
    """Won customers follow the delivery cadence, then the after-sales schedule, not the A-grade
    2-day cadence: an after-sales customer counts as overdue only for an overdue visit, a step the
    rep promised, or money owed; and the dashboard's card counts exactly the agenda's overdue items."""
    from dealbook.records.settings import today_for
    from dealbook.rules.agenda import agenda_items

    today = today_for(demo.settings)
    overdue = [i for i in agenda_items(demo, today) if i.group == "overdue"]
    after_sales = {c.id for c in demo.customers.values() if c.stage == "after_sales"}
    assert after_sales
    counted = [i for i in overdue if i.customer_id in after_sales]
    assert all(i.kind not in ("cadence", "first_response", "a_grade_no_contact") for i in counted), [
        (i.customer_id, i.kind) for i in counted]
    page = watch.page
    page.goto(watch.base)
    card = page.locator(".db-card", has_text="逾期待办")
    assert card.locator(".db-card-value").inner_text() == str(len(overdue))
    assert f"涉及 {len({i.customer_id for i in overdue})} 个客户" in card.inner_text()
