"""The README says itself what a deployment must get right: checked against the code, so it cannot drift."""

from pathlib import Path

from django.conf import settings
from django.urls import reverse

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_the_readme_names_the_webhook_endpoint_and_the_api_version_it_must_use():
    assert f"https://<your host>{reverse('payments:webhook')}" in README
    assert f"`{settings.STRIPE_API_VERSION}`" in README


def test_the_readme_has_the_production_checklist():
    checklist = _section("Production checklist")
    for item in ("DJANGO_TRUSTED_PROXY_COUNT", "CACHE_URL", "environment", "docs/stripe.md#handlers"):
        assert item in checklist
    assert f"`{settings.STRIPE_API_VERSION}`" in checklist


def _section(title: str) -> str:
    """Return the README's `## title` section, heading to the next heading."""
    _, found, rest = README.partition(f"\n## {title}\n")
    assert found, f"README has no section {title!r}"
    return rest.split("\n## ", 1)[0]
