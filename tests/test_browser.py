"""What a student sees in headless Chromium: the course website, its accessibility, and Lab 1 in JupyterLab."""
from __future__ import annotations

import json
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import nbformat
import pytest

from autograd_labs.course import REPO_ROOT
from autograd_labs.exercises import exercises, nbgrader_meta, solution_code
from autograd_labs.testing.browser import (
    chrome,
    console_errors,
    describe_violations,
    jupyter_lab,
    missing_browser_reason,
    run_axe,
    serve,
)
from autograd_labs.testing.notebooks import cell_index

pytestmark = pytest.mark.browser
ARTIFACTS = REPO_ROOT / "build" / "browser"  # screenshots and axe-core's results, kept for a person to look at
AXE_PAGES = {"home": "index.html", "lesson": "lessons/lab01_forward_backward.html",
             "lab": "labs/lab01_forward_backward.html"}


@pytest.fixture(scope="module")
def session():
    """Headless Chromium; skipped where none is installed, except in CI, which must run these tests."""
    reason = missing_browser_reason()
    if reason and os.environ.get("CI"):
        pytest.fail(f"{reason}; .ci/run installs them")
    if reason:
        pytest.skip(reason)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser = chrome()
    yield browser
    browser.quit()


@pytest.fixture(scope="module")
def site(website):
    """The built website, served over HTTP on this machine: yields (its address, its folder)."""
    with serve(website) as address:
        yield address, website


class Ids(HTMLParser):
    """The ids (and names) of a page's elements, the targets of its #fragments."""

    def __init__(self, html: str):
        super().__init__()
        self.ids: set[str] = set()
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.ids.update(value for name, value in attrs if name in ("id", "name") and value)


def broken_links(address: str, folder: Path, urls: list[str], ids_of) -> list[str]:
    """Return the URLs among `urls` that point into the site but at no file, or at no element of their page."""
    broken = []
    for url in urls:
        if not url.startswith(address):
            continue  # another host (Colab, the PyTorch docs): not the site's to keep
        parsed = urlparse(url)
        path = unquote(parsed.path).lstrip("/") or "index.html"
        target = folder / (path + "index.html" if path.endswith("/") else path)
        if not target.is_file():
            broken.append(url)
        elif parsed.fragment and target.suffix == ".html" and unquote(parsed.fragment) not in ids_of(target):
            broken.append(url)
    return broken


def test_every_page_loads_without_console_error_or_broken_link(session, site):
    """Each page of the site loads with no error in the console, and every link, script, style and image of it
    that points into the site (with its #fragment) exists."""
    address, folder = site
    ids = {}

    def ids_of(page: Path) -> set[str]:
        if page not in ids:
            ids[page] = Ids(page.read_text()).ids
        return ids[page]

    pages = sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*.html"))
    assert len(pages) > 18
    console_errors(session)  # start from an empty log
    errors, broken = {}, {}
    for page in pages:
        session.get(address + page)
        urls = session.execute_script(
            "return Array.from(document.querySelectorAll('a[href], link[href], script[src], img[src]'),"
            " element => element.href || element.src)")
        if found := console_errors(session):
            errors[page] = found
        if found := broken_links(address, folder, urls, ids_of):
            broken[page] = found
    assert errors == {}, "console errors:\n" + json.dumps(errors, indent=1)
    assert broken == {}, "broken internal links:\n" + json.dumps(broken, indent=1)


@pytest.mark.parametrize("name", AXE_PAGES)
def test_no_wcag_21_a_or_aa_violation(session, site, name):
    """axe-core finds no violation of WCAG 2.1 A and AA rules on the home page, a lesson and a lab page.

    Its results are kept in build/browser/axe-NAME.json."""
    address, _ = site
    session.get(address + AXE_PAGES[name])
    results = run_axe(session)
    assert "error" not in results, results.get("error")
    (ARTIFACTS / f"axe-{name}.json").write_text(json.dumps(results, indent=1))
    assert results["violations"] == [], f"{AXE_PAGES[name]}:\n{describe_violations(results['violations'])}"


def first_exercise(lab: str) -> tuple[int, int, str, str]:
    """Return Lab `lab`'s first answer cell's position, its test cell's, the source's solution and the message
    its visible checks print when they pass."""
    release = nbformat.read(REPO_ROOT / "release" / lab / f"{lab}.ipynb", as_version=4)
    source = nbformat.read(REPO_ROOT / "source" / lab / f"{lab}.ipynb", as_version=4)
    exercise = exercises(release)[0]
    answer, test = cell_index(release, exercise.grade_id), cell_index(release, exercise.test_ids[0])
    solution = next(c for c in source.cells if nbgrader_meta(c).get("grade_id") == exercise.grade_id)
    visible = int(re.search(r"Checks\(.*visible=(\d+)", release.cells[test].source)[1])
    passed = "The visible check passed." if visible == 1 else f"All {visible} visible checks passed."
    return answer, test, solution_code(solution), passed


CELLS = "return Array.from(document.querySelectorAll('.jp-NotebookPanel .jp-Notebook .jp-Cell'))"
OUTPUT_TEXT = CELLS + "[arguments[0]].querySelector('.jp-Cell-outputArea').innerText"


def test_student_path_through_lab_1_in_jupyterlab(session, tmp_path):
    """JupyterLab on a copy of release/: open Lab 1, run all cells and see the first exercise's
    NotImplementedError; type the solution into its answer cell, run it and its test cell, and see the visible
    checks pass. A screenshot of each step goes to build/browser/jupyterlab-*.png."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as seen
    from selenium.webdriver.support.ui import WebDriverWait

    lab = "lab01_forward_backward"
    answer, test, solution, passed = first_exercise(lab)
    cell_count = len(nbformat.read(REPO_ROOT / "release" / lab / f"{lab}.ipynb", as_version=4).cells)
    shutil.copytree(REPO_ROOT / "release", tmp_path / "release")
    (tmp_path / "jupyter").mkdir()
    wait = WebDriverWait(session, 120)

    def shift_enter():
        ActionChains(session).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT).perform()

    def wait_for_output(index: int, text: str):
        """Wait until cell `index` shows `text`; else fail, saying what it shows, with a screenshot."""
        try:
            wait.until(lambda s: text in s.execute_script(OUTPUT_TEXT, index))
        except TimeoutException:
            session.save_screenshot(str(ARTIFACTS / "jupyterlab-failed.png"))
            pytest.fail(f"cell {index} never showed {text!r} (build/browser/jupyterlab-failed.png); it shows:\n"
                        f"{session.execute_script(OUTPUT_TEXT, index)}")

    def show(index: int, screenshot: str):
        cell = session.execute_script(CELLS + "[arguments[0]]", index)
        session.execute_script("arguments[0].scrollIntoView({block: 'center'})", cell)
        session.save_screenshot(str(ARTIFACTS / screenshot))

    with jupyter_lab(tmp_path / "release", tmp_path / "jupyter") as (address, token):
        session.get(f"{address}lab/tree/{lab}/{lab}.ipynb?token={token}")
        wait.until(lambda s: len(s.execute_script(CELLS)) == cell_count)
        wait.until(seen.presence_of_element_located(
            (By.XPATH, "//*[contains(@class, 'jp-StatusBar')]//*[contains(text(), '| Idle')]")))
        session.save_screenshot(str(ARTIFACTS / "jupyterlab-1-lab-opened.png"))

        # Run > Run All Cells: the run stops at the first exercise, still to be done.
        session.find_element(By.XPATH, "//div[contains(@class, 'lm-MenuBar-itemLabel') and text()='Run']").click()
        wait.until(seen.element_to_be_clickable((By.XPATH, "//li[contains(@class, 'lm-Menu-item')]"
                                                           "[.//div[text()='Run All Cells']]"))).click()
        wait_for_output(answer, "NotImplementedError")
        failed = session.execute_script(CELLS + ".flatMap((cell, i) => cell.querySelector("
                                        "'[data-mime-type=\"application/vnd.jupyter.stderr\"]') ? [i] : [])")
        assert failed == [answer], f"cells {failed} show an error; only the first answer cell ({answer}) should"
        show(answer, "jupyterlab-2-not-implemented.png")

        # The student types the answer over the placeholder, runs it (Shift+Enter moves to the test cell), then
        # runs the test cell.
        editor = session.execute_script(CELLS + "[arguments[0]].querySelector('.cm-content')", answer)
        editor.click()
        ActionChains(session).key_down(Keys.CONTROL).send_keys("a").key_up(Keys.CONTROL).perform()
        ActionChains(session).send_keys(solution).perform()
        shift_enter()
        shift_enter()
        wait_for_output(test, passed)
        assert "NotImplementedError" not in session.execute_script(OUTPUT_TEXT, answer)
        show(test, "jupyterlab-3-checks-passed.png")
