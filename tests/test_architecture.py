"""The house plan (docs/architecture.md): apps stand on floors and import only downwards.

FLOORS is the one place where the allowed direction is written. An app may import an app on a
lower floor, and an app on its own floor when the two do not import each other (imports uses the
reminder engine of notifications, its neighbour, never the other way round). config wires the
apps together and may import any of them. Every Python module of every app is read, function-level
imports included, and so are the templates: a template that extends or includes another app's
template, or loads its template tags, depends on that app too.
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

FLOORS = (
    ("audit",),  # the audit log: every app records its events here (audit.services.audit_record)
    ("workforce",),  # people, agencies, job roles, who may see what, staff sign-in
    ("training",),  # modules, requirements, completions, exemptions, the compliance engine
    ("imports", "notifications"),  # the spreadsheet import engine; the reminder engine
    ("strategy", "courses"),  # features built on the engines: the strategy; training sessions
    # pages composing every app below; demo data; JSON API; personal data; sign-in (SSO, 2FA); reports
    ("people", "demo", "api", "privacy", "accounts", "reports"),
)
FLOOR = {app: level for level, apps in enumerate(FLOORS) for app in apps}
APPS = set(FLOOR)


def _python_modules(app):
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def _imported_apps(path, package=None):
    """The apps a module imports, at any depth (functions included), relative imports resolved
    against its dotted name (`package`, from its path by default)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = package or path.relative_to(ROOT).with_suffix("").parts
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level]
                names = [".".join((*base, node.module)) if node.module else ".".join(base)]
            else:
                names = [node.module]
        else:
            continue
        found.update(name.split(".")[0] for name in names if name and name.split(".")[0] in APPS)
    return found


TEMPLATE_REFERENCE = re.compile(r"{%\s*(?:extends|include)\s+[\"']([\w-]+)/")
TEMPLATE_LOAD = re.compile(r"{%\s*load\s+([\w\s]+?)\s*%}")


def _tag_libraries():
    """Template tag library name -> the app that defines it."""
    return {
        path.stem: app
        for app in APPS
        for path in (ROOT / app).glob("templatetags/*.py")
        if path.stem != "__init__"
    }


def _template_dependencies(app, libraries):
    """(template, app it depends on) for each of `app`'s templates."""
    for path in sorted((ROOT / app / "templates").rglob("*")):
        if not path.is_file():
            continue
        text = path.read_text()
        for folder in TEMPLATE_REFERENCE.findall(text):
            # A template folder is named after its app; base.html and friends are the project's own.
            if folder in APPS:
                yield path, folder
        for names in TEMPLATE_LOAD.findall(text):
            for name in names.split():
                if name in libraries:
                    yield path, libraries[name]


def _dependencies():
    """{app: {app it uses: [where]}} over every module and template."""
    uses = {app: {} for app in APPS}
    libraries = _tag_libraries()
    for app in APPS:
        for path in _python_modules(app):
            for other in _imported_apps(path) - {app}:
                uses[app].setdefault(other, []).append(path.relative_to(ROOT))
        for path, other in _template_dependencies(app, libraries):
            if other != app:
                uses[app].setdefault(other, []).append(path.relative_to(ROOT))
    return uses


@pytest.fixture(scope="module")
def dependencies():
    return _dependencies()


def test_every_app_is_on_a_floor():
    from django.conf import settings

    ours = {app for app in settings.INSTALLED_APPS if (ROOT / app / "apps.py").exists()}
    assert ours == APPS, "Put each app of the project on a floor in FLOORS."


def test_no_app_imports_an_app_above_it(dependencies):
    upward = [
        f"{app} (floor {FLOOR[app]}) uses {other} (floor {FLOOR[other]}) in {', '.join(map(str, where))}"
        for app, used in sorted(dependencies.items())
        for other, where in sorted(used.items())
        if FLOOR[other] > FLOOR[app]
    ]
    assert upward == []


def test_apps_on_one_floor_do_not_use_each_other_both_ways(dependencies):
    both_ways = [
        f"{app} and {other}"
        for app, used in sorted(dependencies.items())
        for other in used
        if app < other and app in dependencies[other] and FLOOR[app] == FLOOR[other]
    ]
    assert both_ways == []


def test_the_check_sees_function_level_and_relative_imports(tmp_path):
    """The reader itself: a lazy import inside a function and a relative import both count."""
    module = tmp_path / "probe.py"
    module.write_text("def f():\n    from strategy import models\n\nfrom ..training import compliance\n")
    assert _imported_apps(module, package=("workforce", "probe")) == {"strategy", "training"}
