"""The pages in a real browser: Debian's Chromium, driven by selenium through chromedriver.

Each scenario clicks and types as a person would, checks what the page then says, and
saves a screenshot: into a temporary folder, or into $WEBQUIZ_SCREENSHOTS
(``scripts/screenshots`` points it at docs/screenshots/). The browser and its driver come
from apt (scripts/system-deps): nothing is downloaded, and selenium's own downloader
(Selenium Manager) is made to fail if anything calls it.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote_plus, urlsplit

import gateway_servers
import pytest
from gateway_servers import apache_venv, start_dev_server, start_wsgi, world_readable_dir
from support import require, server_env

try:
    from selenium import webdriver
    from selenium.common.exceptions import (
        NoAlertPresentException,
        StaleElementReferenceException,
        TimeoutException,
        WebDriverException,
    )
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.selenium_manager import SeleniumManager
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # the browser fixture says so, and skips or fails
    webdriver = None

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
#: Flags that work here as root, on a machine whose outside network is closed: no
#: sandbox (root), no GPU, and none of the background connections Chromium makes itself.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars"]
#: The viewport of every screenshot.
WIDTH, HEIGHT = 1000, 800
#: Set to a folder to keep the screenshots there (scripts/screenshots).
SCREENSHOTS_ENV = "WEBQUIZ_SCREENSHOTS"
#: The quiz's date on every server under test: Tuesday 5 March 2024.
TODAY = "2024-03-05"
BOOK = '<&?+"> test'
HOSTILE = ["<img src=x onerror=alert(1)>", "<script>alert(1)</script>"]
SORRY = "Sorry, you're wrong. Try again"


# -- the browser -----------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One headless Chromium for the session, with a fresh profile; quit at the end."""
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        require(path.exists(), f"{path} (apt: {package}; scripts/system-deps installs it)")
    require(webdriver is not None, "selenium (pip install -e '.[test]')")

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.add_argument(f"--window-size={WIDTH},{HEIGHT}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    log = tmp_path_factory.mktemp("chromedriver") / "chromedriver.log"

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("Selenium Manager was asked for a browser: it must never run")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SeleniumManager, "binary_paths", refuse)
        driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER), log_output=str(log)),
                                  options=options)
    try:
        # The viewport itself, whatever the window's decorations: screenshots are WxH.
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False})
        driver.set_page_load_timeout(30)
        yield driver
    finally:
        driver.quit()


@dataclass
class Site:
    """The pack as served by one server: where its index is."""

    name: str
    root: str  # scheme, host, port and mount point, no trailing slash

    def url(self, path: str = "/") -> str:
        return self.root + path

    def path(self, path: str = "/") -> str:
        """The URL path the browser sees for *path*, mount point included."""
        return urlsplit(self.root).path + path


@pytest.fixture(scope="module", params=["dev", "mod_wsgi"])
def site(request: pytest.FixtureRequest,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The pack's own pages with the quiz's date pinned to TODAY, served by the dev server
    or by Apache + mod_wsgi (daemon mode, under /py, from the gateway tests' venv)."""
    if request.param == "dev":
        server = start_dev_server(tmp_path_factory.mktemp("devserver"),
                                  env=server_env(WEBQUIZ_TODAY=TODAY))
        try:
            yield Site("dev", server.url(""))
        finally:
            server.stop()
        return
    venv = apache_venv()[0]
    # The pack as installed in that venv: its own folder, so its pages show their source.
    (handlers,) = venv.glob("lib/python3*/site-packages/webquiz/handlers")
    root = world_readable_dir("webquiz-browser-")
    try:
        with pytest.MonkeyPatch.context() as patch:
            # Apache's environment reaches its mod_wsgi daemons' os.environ.
            patch.setitem(gateway_servers.APACHE_ENV, "WEBQUIZ_TODAY", TODAY)
            apache = start_wsgi(venv, handlers, root)
        try:
            yield Site("mod_wsgi", apache.url("").rstrip("/"))
        finally:
            apache.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: $WEBQUIZ_SCREENSHOTS, else a temporary folder."""
    chosen = os.environ.get(SCREENSHOTS_ENV)
    if not chosen:
        return tmp_path_factory.mktemp("screenshots")
    folder = Path(chosen)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def driver(browser, site: Site) -> Iterator[object]:
    """The session's browser, cookies cleared for the site; checks after each scenario
    that no dialog is open and that the browser reported no policy or stylesheet error."""
    browser.get(site.url("/_webquiz/webquiz.css"))
    browser.delete_all_cookies()
    browser.get_log("browser")  # drop what earlier scenarios left
    yield browser
    assert_no_alert(browser)
    problems = [entry["message"] for entry in browser.get_log("browser")
                if "Content Security Policy" in entry["message"]
                or "webquiz.css" in entry["message"]]
    assert not problems


@pytest.fixture
def shoot(driver, site: Site, screenshot_dir: Path) -> Callable[[str], Path]:
    """``shoot(name)``: save what the browser shows as NAME.png (NAME-SITE.png off dev)."""

    def save(name: str) -> Path:
        path = screenshot_dir / (f"{name}.png" if site.name == "dev" else f"{name}-{site.name}.png")
        assert driver.save_screenshot(str(path)), path
        return path

    return save


# -- a person's eyes and hands ------------------------------------------------------------


def text(driver) -> str:
    """What the page says (the rendered text of its body).

    While a form submission navigates, the body found may already belong to the old
    document: Chrome then reports it as a plain WebDriverException, not as a stale
    element; read again.
    """
    for _ in range(50):
        try:
            return str(driver.find_element(By.TAG_NAME, "body").text)
        except WebDriverException as exc:
            if "does not belong to the document" not in str(exc):
                raise
            time.sleep(0.05)
    raise AssertionError("the page kept changing while its text was read")


def wait_for(driver, words: str, timeout: float = 10) -> None:
    """Wait until the page says *words*."""
    wait = WebDriverWait(driver, timeout, ignored_exceptions=(StaleElementReferenceException,))
    try:
        wait.until(lambda d: words in text(d))
    except TimeoutException:
        raise AssertionError(f"the page never said {words!r}; it says:\n{text(driver)}") from None


def click_link(driver, words: str) -> None:
    """Follow the link whose text is exactly *words*."""
    driver.find_element(By.LINK_TEXT, words).click()


def label(driver, words: str):
    """The label that says *words*."""
    return driver.find_element(By.XPATH, f"//label[normalize-space()={xpath_text(words)}]")


def field(driver, words: str):
    """The input labelled *words*."""
    return driver.find_element(By.ID, label(driver, words).get_attribute("for"))


def click_label(driver, words: str):
    """Click the label that says *words* (not the box); return the input it labels."""
    label(driver, words).click()
    return field(driver, words)


def press(driver, words: str) -> None:
    """Press the button that says *words*."""
    driver.find_element(By.XPATH, f"//button[normalize-space()={xpath_text(words)}]").click()


def xpath_text(value: str) -> str:
    """*value* as an XPath string literal."""
    if "'" not in value:
        return f"'{value}'"
    return "concat(" + ", \"'\", ".join(f"'{part}'" for part in value.split("'")) + ")"


def wait_for_alert(driver, timeout: float = 5) -> None:
    """Wait for a dialog to open, then fail through assert_no_alert (which closes it)."""
    try:
        WebDriverWait(driver, timeout).until(expected_conditions.alert_is_present())
    except TimeoutException:
        return
    assert_no_alert(driver)


def assert_no_alert(driver) -> None:
    """Assert no JavaScript dialog is open."""
    try:
        alert = driver.switch_to.alert
    except NoAlertPresentException:
        return
    message = alert.text
    alert.accept()
    raise AssertionError(f"a dialog opened: {message!r}")


def styled(driver) -> bool:
    """True when the pack's stylesheet is applied to the page."""
    return bool(driver.execute_script(
        "return document.styleSheets.length === 1"
        " && document.styleSheets[0].cssRules.length > 20"
        " && getComputedStyle(document.body).maxWidth !== 'none'"))


# -- the scenarios ----------------------------------------------------------------------


def test_the_index_links_every_page_and_back(driver, site, shoot):
    driver.get(site.url("/"))
    assert driver.title == "The example pages" and styled(driver)
    shoot("index")
    names = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "ul.pages li > a")]
    assert {"simple", "pathinfo", "get", "post", "escape", "list", "file", "cookie"} <= set(names)
    for name in names:
        click_link(driver, name)
        heading = driver.find_element(By.TAG_NAME, "h1").text
        assert driver.title == heading and urlsplit(driver.current_url).path == site.path(
            f"/{name}")
        assert styled(driver), name
        click_link(driver, "Back to the index")
        assert driver.title == "The example pages"


def test_the_pathinfo_quiz_by_clicking_links(driver, site, shoot):
    driver.get(site.url("/pathinfo"))
    assert "What month is it?" in text(driver)
    click_link(driver, "April")
    wait_for(driver, f"You answered April: {SORRY}")
    click_link(driver, "March")
    wait_for(driver, "Yes, this is March.")
    assert "What day is it?" in text(driver)
    click_link(driver, "Friday")
    wait_for(driver, f"You answered Friday: {SORRY}")
    assert "Yes, this is March." in text(driver)
    shoot("pathinfo")
    click_link(driver, "Tuesday")
    wait_for(driver, "Yes, this is Tuesday.")
    assert "You answered Tuesday: that's right." in text(driver)
    assert urlsplit(driver.current_url).path == site.path("/pathinfo/3/1")


def test_the_post_quiz_with_radio_buttons(driver, site, shoot):
    driver.get(site.url("/post"))
    assert driver.find_element(By.TAG_NAME, "legend").text == "What month is it?"
    may = click_label(driver, "May")  # the word, not the button: the label must work
    assert may.is_selected()
    press(driver, "Next >>")
    wait_for(driver, f"You answered May: {SORRY}")
    assert not any(box.is_selected() for box in driver.find_elements(By.NAME, "month"))
    assert click_label(driver, "March").is_selected()
    shoot("post-month")
    press(driver, "Next >>")
    wait_for(driver, "Yes, this is March.")
    assert driver.find_element(By.TAG_NAME, "legend").text == "What day is it?"
    click_label(driver, "Sunday")
    press(driver, "Next >>")
    wait_for(driver, f"You answered Sunday: {SORRY}")
    click_label(driver, "Tuesday")
    shoot("post")
    press(driver, "Next >>")
    wait_for(driver, "Yes, this is Tuesday.")
    assert "Yes, this is March." in text(driver) and "Sorry" not in text(driver)
    assert urlsplit(driver.current_url).path == site.path("/post")


def test_the_escape_form_round_trips_the_books_text(driver, site, shoot):
    driver.get(site.url("/escape"))
    assert "No submitted data." in text(driver)
    box = field(driver, "Supply some data:")
    box.send_keys(BOOK)
    press(driver, "Show it escaped")
    wait_for(driver, "Submitted data:")
    assert urlsplit(driver.current_url).query == "data=%3C%26%3F%2B%22%3E+test"
    link = driver.find_element(By.CSS_SELECTOR, "main a")
    assert link.text == BOOK
    assert field(driver, "Supply some data:").get_attribute("value") == BOOK
    shoot("escape")
    link.click()
    wait_for(driver, "Submitted data:")
    assert driver.find_element(By.CSS_SELECTOR, "main a").text == BOOK
    assert field(driver, "Supply some data:").get_attribute("value") == BOOK


def test_the_list_keeps_three_ticked_boxes(driver, site, shoot):
    driver.get(site.url("/list"))
    for choice in ("C++", "Haskell", "Blue"):
        assert click_label(driver, choice).is_selected()
    press(driver, "Show my selection")
    wait_for(driver, "You selected: Blue, C++, Haskell")
    assert urlsplit(driver.current_url).query == "data=Blue&data=C%2B%2B&data=Haskell"
    ticked = [box.get_attribute("value") for box in driver.find_elements(By.NAME, "data")
              if box.is_selected()]
    assert ticked == ["Blue", "C++", "Haskell"]
    shoot("list")


def test_an_upload_reports_the_files_md5(driver, site, shoot, tmp_path):
    upload = tmp_path / "notes of the week.bin"
    data = b"".join(hashlib.sha256(str(n).encode()).digest() for n in range(10_000))  # 320 KB
    upload.write_bytes(data)
    driver.get(site.url("/file"))
    field(driver, "File:").send_keys(str(upload))
    press(driver, "Upload and hash")
    wait_for(driver, "Got file: notes of the week.bin")
    said = text(driver)
    assert f"Received file of {len(data)} bytes. MD5sum is {hashlib.md5(data).hexdigest()}" in said
    assert f"SHA-256 is {hashlib.sha256(data).hexdigest()}" in said
    shoot("file")


def test_a_cookie_is_set_kept_and_deleted(driver, site, shoot):
    driver.get(site.url("/cookie"))
    assert "Your browser sent no cookies." in text(driver)
    click_label(driver, "Green")
    press(driver, "Set the cookie")
    wait_for(driver, "The cookie testcookie has been set to Green.")
    (cookie,) = driver.get_cookies()
    assert (cookie["name"], cookie["value"], cookie["httpOnly"]) == ("testcookie", "Green", True)
    click_link(driver, "Back to the cookie page")
    wait_for(driver, "testcookie: Green")
    driver.refresh()
    wait_for(driver, "testcookie: Green")
    shoot("cookie")
    click_link(driver, "Delete testcookie")
    wait_for(driver, "The cookie testcookie has been deleted.")
    click_link(driver, "Back to the cookie page")
    wait_for(driver, "Your browser sent no cookies.")
    assert driver.get_cookies() == []


def test_the_alert_check_sees_a_dialog(browser):
    """assert_no_alert is no check that cannot fail: a dialog opened on purpose is caught."""
    browser.get("data:text/html,<title>probe</title>")
    browser.execute_script("setTimeout(() => alert('probe'), 0)")
    with pytest.raises(AssertionError, match="probe"):
        wait_for_alert(browser)
    assert_no_alert(browser)  # and it was closed


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_text_shows_literally_and_never_runs(driver, site, shoot, payload):
    # The one text field of the pack, typed into as a person would.
    driver.get(site.url("/escape"))
    field(driver, "Supply some data:").send_keys(payload)
    press(driver, "Show it escaped")
    wait_for(driver, "Submitted data:")
    assert_inert(driver, payload)
    assert driver.find_element(By.CSS_SELECTOR, "main a").text == payload
    assert field(driver, "Supply some data:").get_attribute("value") == payload
    if payload == HOSTILE[0]:
        shoot("escape-hostile")
    driver.find_element(By.CSS_SELECTOR, "main a").click()
    wait_for(driver, "Submitted data:")
    assert_inert(driver, payload)

    # Values a link or a crafted URL can carry to the other pages.
    for path, shown in [(f"/list?data={quote_plus(payload)}", f"You selected: {payload}"),
                        (f"/cookie?action={quote_plus(payload)}", f"Unknown action “{payload}”"),
                        (f"/get?month={quote_plus(payload)}", "The month must be a whole number")]:
        driver.get(site.url(path))
        wait_for(driver, shown)
        assert_inert(driver, payload)




def assert_inert(driver, payload: str) -> None:
    """No dialog opened, no element was made from *payload*, and the page shows it as text."""
    time.sleep(0.2)  # an onerror handler would fire as soon as the broken image failed
    assert_no_alert(driver)
    assert driver.find_elements(By.TAG_NAME, "img") == []
    assert driver.find_elements(By.TAG_NAME, "script") == []
    assert re.sub(r"\s+", " ", payload)[:20] in text(driver)


def test_the_source_view_shows_the_handler(driver, site, shoot):
    driver.get(site.url("/pathinfo"))
    click_link(driver, "pathinfo.py")
    wait_for(driver, "def handler(req):")
    assert driver.title == "Source of pathinfo.py"
    shoot("source")
    click_link(driver, "_quiz.py")
    wait_for(driver, "def play(")
    assert "These pages import it: get, pathinfo, post." in text(driver)


def test_the_pages_fit_a_phone(driver, site, shoot):
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
    try:
        for path in ("/post", "/environ", "/list", "/_webquiz/source/_quiz.py"):
            driver.get(site.url(path))
            wide = driver.execute_script(
                "return document.documentElement.scrollWidth > window.innerWidth")
            assert not wide, f"{path} scrolls sideways on a phone"
        driver.get(site.url("/post"))
        shoot("phone-post")
    finally:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False})


def test_the_browser_and_driver_are_debians(browser):
    """The processes running are the apt packages' files, and selenium fetched nothing."""
    driver_pid = browser.service.process.pid
    assert Path(f"/proc/{driver_pid}/exe").resolve() == CHROMEDRIVER.resolve()
    browsers = {Path(f"/proc/{pid}/exe").resolve() for pid in descendants(driver_pid)}
    assert Path("/usr/lib/chromium/chromium") in browsers, browsers
    cache = Path.home() / ".cache" / "selenium"
    assert not cache.exists() or not any(cache.rglob("chrome*")), list(cache.rglob("*"))[:5]


def descendants(pid: int) -> list[int]:
    """Every process below *pid* (Linux /proc)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found += [int(child), *descendants(int(child))]
    return found


def test_the_forms_work_without_javascript(driver, site):
    driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        # Scripts really are off: this page's would set its title.
        driver.get("data:text/html,<title>off</title><script>document.title='on'</script>")
        assert driver.title == "off"
        driver.get(site.url("/post"))
        click_label(driver, "March")
        press(driver, "Next >>")
        wait_for(driver, "Yes, this is March.")
        driver.get(site.url("/list"))
        click_label(driver, "Perl")
        press(driver, "Show my selection")
        wait_for(driver, "You selected: Perl")
    finally:
        driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})
