"""The templates themselves: nothing meant for developers reaches a shopper's page."""

import re
from pathlib import Path

from django.conf import settings
from django.template import engines

# Django's {# #} comment ends on its own line; one that runs on prints as text on the page.
UNCLOSED_COMMENT = re.compile(r"\{#(?:(?!#\}).)*$", re.MULTILINE)


def template_files():
    folders = [Path(folder) for config in settings.TEMPLATES for folder in config["DIRS"]]
    folders += [Path(app.path) / "templates" for app in _project_apps()]
    return sorted(path for folder in folders if folder.is_dir() for path in folder.rglob("*.html"))


def _project_apps():
    from django.apps import apps

    return [
        app
        for app in apps.get_app_configs()
        if Path(app.path).is_relative_to(settings.BASE_DIR) and "site-packages" not in Path(app.path).parts
    ]


def test_every_comment_closes_on_the_line_it_opens():
    files = template_files()
    assert len(files) > 50  # the shop's own templates were found
    printed = {
        str(path.relative_to(settings.BASE_DIR)): match.group(0)[:60]
        for path in files
        for match in UNCLOSED_COMMENT.finditer(path.read_text())
    }
    assert printed == {}


def test_a_comment_that_runs_on_is_what_the_check_finds():
    source = "{# first line\n   second line #}<p>Shop</p>"
    assert "first line" in engines["django"].from_string(source).render()
    assert UNCLOSED_COMMENT.search(source)
