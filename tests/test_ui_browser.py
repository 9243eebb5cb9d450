"""The review screen in a real browser: `streamlit run` as a subprocess, driven by headless Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from reviewer.settings import Settings
from tests.demo import CORPUS_DIR, DEMO_SETTINGS

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
        reason="chromium and chromedriver are not installed (run `make browser`, or apt-get install "
        "chromium chromium-driver)",
    ),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def app_url(demo_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a free loopback port, reading a copy of the ingested demo data."""
    data = tmp_path_factory.mktemp("browser") / "data"
    shutil.copytree(demo_settings.data_dir, data)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVIEWER_")}
    env["REVIEWER_DATA_DIR"] = str(data)
    # What `make run` passes: the engine itself assumes no taxonomy, guidelines or vocabulary.
    env.update({f"REVIEWER_{key.upper()}": str(value) for key, value in DEMO_SETTINGS.items()})
    log = (data.parent / "streamlit.log").open("wb")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(REPO / "ui" / "app.py"),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("streamlit did not start:\n" + (data.parent / "streamlit.log").read_text())
            time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture
def driver(tmp_path: Path) -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1400,2000",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(arg)
    browser = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield browser
    finally:
        browser.quit()


def upload_and_review(driver, url: str, draft: Path) -> float:  # type: ignore[no-untyped-def]
    """Open the app, upload `draft`, click Review; seconds from the click to the coverage map."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(url)
    wait = WebDriverWait(driver, 90)
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "input[type=file]"))).send_keys(str(draft))
    wait.until(ec.presence_of_element_located((By.XPATH, f"//*[contains(text(), '{draft.name}')]")))
    button = wait.until(ec.element_to_be_clickable((By.XPATH, "//button[.//p[text()='Review']]")))
    started = time.perf_counter()
    button.click()
    wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid='stDataFrame']")))
    return time.perf_counter() - started


def open_tab(driver, words: str) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    tab = driver.find_element(By.XPATH, f"//*[@role='tab'][contains(., '{words}')]")
    driver.execute_script("arguments[0].click()", tab)
    time.sleep(1)


def test_a_page_url_opened_first_gets_the_app_navigation(app_url: str, driver) -> None:  # type: ignore[no-untyped-def]
    """Runs first on a fresh server: ui/pages/ beside app.py must not put Streamlit in pages-folder mode."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f"{app_url}/objections")
    wait = WebDriverWait(driver, 60)
    wait.until(ec.visibility_of_element_located((By.XPATH, "//h1[contains(., 'Objections customers raise')]")))
    nav = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid='stSidebarNav']")))
    assert "Review a draft" in nav.text and "Flags & insights" in nav.text
    assert not driver.find_elements(By.CSS_SELECTOR, "[data-testid='stException']")


def test_upload_review_shows_the_coverage_map(app_url: str, driver, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    seconds = upload_and_review(driver, app_url, CORPUS_DIR / "drafts" / "landing_page.md")
    print(f"click to results: {seconds:.2f} s")
    table = driver.find_element(By.CSS_SELECTOR, "[data-testid='stDataFrame']")
    assert table.is_displayed()
    themes = [e for e in driver.find_elements(By.CSS_SELECTOR, "[data-testid='stExpander']") if "your draft" in e.text]
    assert len(themes) >= 3 and all(e.is_displayed() for e in themes)
    assert "Score" in driver.page_source and "/100" in driver.page_source
    assert driver.save_screenshot(str(tmp_path / "coverage-map.png"))
    open_tab(driver, "with findings")
    marks = driver.find_elements(By.CSS_SELECTOR, ".cr-draft mark")
    assert marks and any(m.is_displayed() for m in marks)
    assert driver.save_screenshot(str(tmp_path / "draft-with-findings.png"))
    assert not driver.find_elements(By.CSS_SELECTOR, "[data-testid='stException']")


def test_script_and_img_in_a_draft_show_as_text(app_url: str, driver, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    hostile = tmp_path / "hostile.md"
    hostile.write_text(
        "# Offer\n\nFast payments <script>alert(1)</script> and <img src=x onerror=alert(1)> for every team.\n",
        "utf-8",
    )
    upload_and_review(driver, app_url, hostile)
    open_tab(driver, "with findings")
    draft = driver.find_element(By.CSS_SELECTOR, ".cr-draft")
    assert "<script>alert(1)</script>" in draft.text
    assert "<img src=x onerror=alert(1)>" in draft.text
    assert not driver.find_elements(By.CSS_SELECTOR, ".cr-draft script, .cr-draft img")
    time.sleep(1)
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018 - reading it is what raises when no alert is open
    assert driver.save_screenshot(str(tmp_path / "hostile-draft.png"))


def _click(driver, xpath: str, timeout: float = 60):  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    element = WebDriverWait(driver, timeout).until(ec.element_to_be_clickable((By.XPATH, xpath)))
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    driver.execute_script("arguments[0].click()", element)
    return element


def _selected_tab(driver) -> str:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    tabs = driver.find_elements(By.XPATH, "//*[@role='tab'][@aria-selected='true']")
    return " | ".join(t.text for t in tabs)


def test_walk_through_upload_review_accept_flag_batch_objections_insights(  # type: ignore[no-untyped-def]
    app_url: str, driver, tmp_path: Path
) -> None:
    """Issue 14, as a marketer and a rep would: screenshots of every step stay in tmp_path."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, 90)
    shots = tmp_path / "screenshots"
    shots.mkdir()
    upload_and_review(driver, app_url, CORPUS_DIR / "drafts" / "landing_page.md")
    assert "Ranked by" in driver.page_source  # problem 5: how findings are ranked
    driver.save_screenshot(str(shots / "1-coverage-map.png"))

    # Problem 3: the draft as a document, marks on whole sentences.
    open_tab(driver, "Your draft with findings")
    doc = driver.find_element(By.CSS_SELECTOR, ".cr-draft")
    assert doc.find_elements(By.CSS_SELECTOR, "h1") and doc.find_elements(By.CSS_SELECTOR, "h2")
    assert "# Corvane" not in doc.text
    assert not any(m.text.startswith("28 GDPR") for m in doc.find_elements(By.CSS_SELECTOR, "mark"))
    driver.save_screenshot(str(shots / "2-draft-with-findings.png"))

    # Problem 1: Accept keeps the marketer on the fixes tab, with the revised draft.
    open_tab(driver, "Suggested fixes")
    _click(driver, "//button[.//p[text()='Accept']]")
    wait.until(ec.presence_of_element_located((By.XPATH, "//*[contains(., '1 accepted')]")))
    time.sleep(2)  # let the rerun settle: the tab must not jump afterwards
    assert "Suggested fixes" in _selected_tab(driver)
    assert "Revised draft" in driver.find_element(By.CSS_SELECTOR, "[data-testid='stMain']").text
    driver.save_screenshot(str(shots / "3-accepted-fix.png"))

    # Problem 2: "This is wrong" is confirmed.
    open_tab(driver, "Objection coverage")
    _click(driver, "(//*[@data-testid='stExpander']//summary)[1]")
    _click(driver, "(//button[.//p[contains(., 'This is wrong')]])[1]")
    field = wait.until(ec.visibility_of_element_located((By.XPATH, "//input[@aria-label='Why is it wrong?']")))
    field.send_keys("We answer this on the pricing page")
    _click(driver, "//*[@data-testid='stPopoverBody']//button[.//p[text()='Send']]")
    toast = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid='stToast']")))
    assert "marked wrong" in toast.text
    driver.save_screenshot(str(shots / "4-flag-confirmed.png"))
    wait.until(ec.presence_of_element_located((By.XPATH, "//*[contains(., 'You marked this wrong')]")))

    # Problem 6: a batch started and followed from the page.
    drafts = tmp_path / "drafts"
    drafts.mkdir()
    for name in ("landing_page.md", "one_pager.md"):
        shutil.copy(CORPUS_DIR / "drafts" / name, drafts / name)
    (drafts / "broken.docx").write_bytes(b"PK\x03\x04 not a zip")
    driver.get(f"{app_url}/batch")
    folder = wait.until(
        ec.visibility_of_element_located((By.XPATH, "//input[@aria-label='Drafts folder (on the server)']"))
    )
    folder.send_keys(str(drafts), Keys.ENTER)
    wait.until(ec.presence_of_element_located((By.XPATH, f"//*[contains(., '{tmp_path / 'reviews'}')]")))
    _click(driver, "//button[.//p[text()='Review this folder']]")
    wait.until(ec.visibility_of_element_located((By.XPATH, "//h3[contains(., 'Could not be reviewed')]")))
    main = driver.find_element(By.CSS_SELECTOR, "[data-testid='stMain']").text
    assert "3 of 3 drafts" in main and "Error" not in main
    time.sleep(2)  # the tables draw on a canvas a moment after they arrive
    driver.save_screenshot(str(shots / "5-batch.png"))

    # Problem 5: the objections chart and the insights page in words.
    driver.get(f"{app_url}/objections")
    wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid='stVegaLiteChart']")))
    time.sleep(1)
    driver.save_screenshot(str(shots / "6-objections.png"))
    driver.get(f"{app_url}/insights")
    wait.until(ec.visibility_of_element_located((By.XPATH, "//h1[contains(., 'Flags & insights')]")))
    wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid='stDataFrame']")))
    time.sleep(1)
    driver.save_screenshot(str(shots / "7-insights.png"))
    assert not driver.find_elements(By.CSS_SELECTOR, "[data-testid='stException']")
    print(f"screenshots in {shots}")
