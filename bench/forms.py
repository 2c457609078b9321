"""Read a page's HTML forms and fill them in the way a browser submits them untouched."""

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms = []
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(Form(action=attrs.get("action", ""), method=attrs.get("method", "get").lower()))
            return
        if not self.forms:
            return
        fields = self.forms[-1].fields
        name = attrs.get("name")
        if tag == "input" and name and "disabled" not in attrs:
            kind = attrs.get("type", "text").lower()
            if kind in {"submit", "button", "image", "reset", "file"}:
                return
            if kind in {"radio", "checkbox"}:
                # A browser sends the checked one; with none checked we pick the first, as a shopper would.
                if "checked" in attrs or name not in fields:
                    fields[name] = attrs.get("value", "on")
                return
            fields[name] = attrs.get("value", "")
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and ("selected" in attrs or self._select not in fields):
            fields[self._select] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def parse_forms(html):
    """Return every form of the page with the values a browser would submit."""
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def find_form(html, *, action_contains, method="post"):
    """Return the first form whose action contains `action_contains`, or None."""
    for form in parse_forms(html):
        if form.method == method and action_contains in form.action:
            return form
    return None
