"""Accessibility and validity checks of pages in the browser tests.

- axe-core (npm, node_modules/axe-core) runs inside the page in headless Chromium: WCAG 2.0, 2.1 and
  2.2 at levels A and AA and axe's best-practice rules (landmarks included). It is evaluated
  through the DevTools protocol, so a strict Content-Security-Policy does not stop it.
- The Nu HTML Checker (npm's vnu-jar, run with the machine's Java) validates the HTML as the
  server sent it. Pages are collected and checked in one run of the checker (one JVM start).

Tests skip these checks, saying why, only when their tools are not installed (no node_modules,
no Java); `make test` installs the npm packages, and CI installs Java.
"""

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"]


def _require(path, what):
    if not path.exists():
        pytest.skip(f"{what} is not installed ({path}): run npm ci.")


def axe_violations(page):
    """axe-core's violations on the page as it is now: [(rule id, impact, help, [selectors])]."""
    _require(AXE, "axe-core")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    return [
        (rule["id"], rule["impact"], rule["help"], [node["target"] for node in rule["nodes"]][:5])
        for rule in result["violations"]
    ]


def assert_accessible(page):
    violations = axe_violations(page)
    assert violations == [], f"axe-core on {page.url}:\n" + "\n".join(map(str, violations))


class HtmlChecker:
    """Collect pages' HTML, then validate them all at once with the Nu HTML Checker."""

    def __init__(self):
        self.pages = {}

    def add(self, url, html):
        self.pages[url] = html

    def errors(self):
        """{url: [message]} of every error (warnings and info are left out)."""
        if not self.pages:
            return {}
        _require(VNU, "The Nu HTML Checker (vnu-jar)")
        java = shutil.which("java")
        if java is None:
            pytest.skip(
                "Java is not installed: the Nu HTML Checker needs it (apt-get install default-jre-headless)."
            )
        with tempfile.TemporaryDirectory() as folder:
            files = {}
            for index, (url, html) in enumerate(self.pages.items()):
                path = Path(folder) / f"page-{index}.html"
                path.write_text(html, encoding="utf-8")
                files[path.as_uri()] = url
            run = subprocess.run(  # noqa: S603 - our own fixed command line
                [
                    java,
                    "-jar",
                    str(VNU),
                    "--format",
                    "json",
                    "--exit-zero-always",
                    *sorted(files_path(files)),
                ],
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
        report = json.loads(run.stderr or run.stdout or '{"messages": []}')
        found = {}
        for message in report["messages"]:
            if message.get("type") != "error":
                continue
            url = files.get(_file_uri(message.get("url", "")), message.get("url"))
            line = message.get("lastLine", "?")
            found.setdefault(url, []).append(f"line {line}: {message.get('message')}")
        return found


def _file_uri(url):
    """The checker names a file file:/path; Python's as_uri is file:///path."""
    return (
        "file://" + url.removeprefix("file:").lstrip("/").join(["/", ""]) if url.startswith("file:") else url
    )


def files_path(files):
    return [uri.removeprefix("file://") for uri in files]
