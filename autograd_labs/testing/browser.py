"""What the browser tests drive: the system's headless Chromium (through Selenium), a local web server for the
built site, axe-core's accessibility check, and JupyterLab started on a copy of the student versions.

Everything runs on this machine: Chromium and chromedriver come from the system's packages (Debian: `chromium`,
`chromium-driver`), axe-core from the `selenium-axe-python` package, and no page may reach another host.
"""
from __future__ import annotations

import contextlib
import functools
import http.server
import importlib.resources
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
# The WCAG 2.1 A and AA rules of axe-core.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
INSTALL_HINT = "apt-get install chromium chromium-driver"


def find_chromium() -> tuple[str | None, str | None]:
    """Return the paths of a Chromium browser and of chromedriver (None for one that is not installed)."""
    browser = next((path for name in BROWSERS if (path := shutil.which(name))), None)
    return browser, shutil.which("chromedriver")


def missing_browser_reason() -> str | None:
    """Return why the browser tests cannot run here, or None when they can."""
    browser, driver = find_chromium()
    missing = [name for name, path in (("Chromium", browser), ("chromedriver", driver)) if path is None]
    if not missing:
        return None
    return f"no headless browser: {' and '.join(missing)} not installed (Debian: {INSTALL_HINT})"


def chrome(window: tuple[int, int] = (1280, 1024)):
    """Start headless Chromium with its console log recorded; the caller quits it."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver = find_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--no-first-run", "--disable-extensions", "--disable-background-networking",
                     f"--window-size={window[0]},{window[1]}"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    session = webdriver.Chrome(options=options, service=Service(driver))
    session.set_script_timeout(300)  # axe-core on a long page, on a busy 2-core machine
    return session


def console_errors(session) -> list[str]:
    """Return (and clear) the console's error messages since the last call: failed loads, uncaught exceptions."""
    return [entry["message"] for entry in session.get_log("browser") if entry["level"] == "SEVERE"]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the signature http.server calls
        pass


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve folder over HTTP on a free port of 127.0.0.1 and yield its base address (ending in /)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=folder))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


def axe_source() -> str:
    """Return axe-core's script, as the selenium-axe-python package ships it."""
    return (importlib.resources.files("selenium_axe_python") / "axe-core" / "axe.min.js").read_text()


def run_axe(session, tags: list[str] = WCAG_TAGS) -> dict:
    """Check the page open in session with axe-core's rules for `tags`; return axe's results."""
    session.execute_script(axe_source())
    return session.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})"
        ".then(done, error => done({error: String(error)}));", tags)


def describe_violations(violations: list[dict]) -> str:
    """Return axe's violations as lines a person can act on: the rule, its impact, and the first elements."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} - {len(violation['nodes'])} "
                     f"elements, e.g.")
        lines += [f"    {node['target']}: {node['html'][:160]}" for node in violation["nodes"][:3]]
    return "\n".join(lines)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# JupyterLab's settings for a test: no news or update check (no network), every cell kept in the page (so that an
# output far down can be found and scrolled to).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
}


@contextlib.contextmanager
def jupyter_lab(root: Path, scratch: Path, timeout: float = 120) -> Iterator[tuple[str, str]]:
    """Run JupyterLab on root (a folder of notebooks) and yield (its address, its token); stop it afterwards.

    Its configuration, data and settings live in scratch, so nothing of this machine's Jupyter set-up applies.
    The environment (TORCH_HOME, JUPYTER_PATH for the kernel) is this process's.
    """
    for name, values in LAB_SETTINGS.items():
        path = scratch / "settings" / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port, token = free_port(), "browser-test"
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(scratch / "config"), JUPYTER_DATA_DIR=str(scratch / "data"),
               JUPYTER_RUNTIME_DIR=str(scratch / "runtime"), JUPYTERLAB_WORKSPACES_DIR=str(scratch / "workspaces"))
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={root}", "--LabApp.news_url=None",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
               f"--LabApp.user_settings_dir={scratch / 'settings'}",
               f"--LabApp.workspaces_dir={scratch / 'workspaces'}"]
    log = scratch / "jupyterlab.log"
    with log.open("w") as output:
        server = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    address = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"JupyterLab stopped (exit {server.returncode}):\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{address}api/status?token={token}", timeout=5):
                    break
            except OSError as error:
                if time.monotonic() > deadline:
                    message = f"JupyterLab did not answer in {timeout} s:\n{log.read_text()[-3000:]}"
                    raise RuntimeError(message) from error
                time.sleep(0.2)
        yield address, token
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
