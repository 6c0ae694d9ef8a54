"""Every page of every persona, found by following links from their home page in headless
Chromium, passes axe-core (WCAG 2.2 A and AA and best practice) and the Nu HTML Checker, at desktop
and phone widths, and answers without a server error. Every page carries the strict
Content-Security-Policy, and the browser reports no violation of it on any page (no inline
script, style or handler left anywhere).

The crawl is bounded: it visits at most a few pages of each shape of address (one person page
stands for all of them) and MAX_PAGES pages per persona. Downloads, the admin (Django's own
pages), sign-out and other state-changing links are not followed.
"""

import re
from collections import Counter
from io import StringIO
from urllib.parse import urldefrag, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from tests.accessibility import HtmlChecker, axe_violations
from workforce import signin
from workforce.models import StaffMember

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MAX_PAGES = 60
PER_SHAPE = 2
SKIP = re.compile(
    r"^/(admin|accounts/logout|my/sign-out|api/docs|api/schema)"
    r"|\.(csv|xlsx|ics|pdf|zip|json)(\?|$)|/file/$|/email\.html$|/progress/$|/template\."
)


def _shape(path):
    """/staff/123/ and /staff/456/ are one shape of address; so are two pages of one list."""
    return re.sub(r"\d+", "N", path)


def _login(context, live_server, user):
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


CSP_DIRECTIVES = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)


def csp_problems(response):
    """What is missing from, or too lax in, a page's Content-Security-Policy header."""
    policy = response.headers.get("content-security-policy") or ""
    found = [directive for directive in CSP_DIRECTIVES if directive not in policy]
    if "unsafe-inline" in policy or "unsafe-eval" in policy:
        found.append("an unsafe-* source")
    return found


def watch_csp(page):
    """The Content-Security-Policy violations Chromium reports on `page` (its console), as a list
    that grows as pages are visited."""
    reported = []

    def on_console(message):
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            reported.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    return reported


def _crawl(page, live_server, start, html, *, also=()):
    """Visit pages reachable from `start` (and the pages `also`, deep in a persona's pages, first
    after it): {url: violations} and the server errors met."""
    queue, seen, shapes = [live_server.url + path for path in (start, *also)], set(), Counter()
    problems, failures = {}, []
    csp_reported = watch_csp(page)
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        path = urlsplit(url).path + (("?" + urlsplit(url).query) if urlsplit(url).query else "")
        shape = _shape(urlsplit(url).path)
        if url in seen or shapes[shape] >= PER_SHAPE or SKIP.search(urlsplit(url).path):
            continue
        seen.add(url)
        shapes[shape] += 1
        response = page.goto(url)
        if response is None or response.status >= 500:
            failures.append(f"{path}: {response.status if response else 'no response'}")
            continue
        if "text/html" not in (response.headers.get("content-type") or ""):
            continue
        html.add(url, response.text())
        missing = csp_problems(response)
        if missing:
            failures.append(f"{path}: Content-Security-Policy lacks {missing}")
        violations = axe_violations(page)
        if violations:
            problems[path] = violations
        # A link marked `download` is a file, not a page.
        for link in page.eval_on_selector_all(
            "a[href]:not([download])", "links => links.map(link => link.href)"
        ):
            link = urldefrag(link)[0]
            if link.startswith(live_server.url) and link not in seen:
                queue.append(link)
    failures.extend(csp_reported)
    return seen, problems, failures


# Pages a crawl of MAX_PAGES may not reach by links alone. The bulk actions' confirmation pages
# answer only a POST: tests/people/test_bulk_browser.py checks them the same way.
ALSO = {"lead": ("/reminders/pause/", "/compliance/people/?status=overdue")}


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.DEMO_LOGINS_FILE = str(tmp_path / "logins.txt")
    call_command("seed_demo", "--staff", "40", "--json", stdout=StringIO(), stderr=StringIO())
    users = get_user_model().objects
    staff = StaffMember.objects.exclude(email="").filter(left_on__isnull=True).order_by("pk").first()
    return {"lead": users.get(username="lead"), "hr": users.get(username="hr"), "staff": staff}


def _staff_signed_in(page, staff):
    page.goto(signin.signin_url_for_staff(staff))
    continue_button = page.get_by_role("button", name="Continue to your record")
    if continue_button.count():
        continue_button.click()


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("persona", ["lead", "hr", "staff"])
def test_every_page_is_accessible_and_valid(live_server, browser_page, demo, settings, persona, width):
    settings.SITE_URL = live_server.url
    page = browser_page(width=width)
    if persona == "staff":
        _staff_signed_in(page, demo["staff"])
        start = urlsplit(page.url).path
    else:
        _login(page.context, live_server, demo[persona])
        start = "/"
    html = HtmlChecker()
    seen, problems, failures = _crawl(page, live_server, start, html, also=ALSO.get(persona, ()))
    assert len(seen) >= 3, f"the crawl from {start} found only {sorted(seen)}"
    assert failures == []
    assert problems == {}, "\n".join(f"{path}: {found}" for path, found in problems.items())
    if width == 1280:  # the markup is the same at every width
        assert html.errors() == {}
