"""The shop's pages: contact, shipping, returns, privacy and terms, written by staff, linked everywhere."""

import importlib
from http import HTTPStatus

import pytest
from django.apps import apps
from django.urls import reverse

from accounts.models import UserRole
from orders.emails import order_confirmation_send, order_shipped_email_send
from pages.models import Page, PageSlug
from tests import factories
from tests.accounts.admin_pages import form_data

pytestmark = pytest.mark.django_db

default_pages = importlib.import_module("pages.migrations.0002_default_pages")


@pytest.fixture
def shop_pages():
    """The pages as migrate creates them (the suite empties collections between tests)."""
    default_pages.create_default_pages(apps, None)
    return {page.slug: page for page in Page.objects.all()}


def test_migrate_creates_every_page_with_the_shops_name_and_address(shop_pages):
    assert set(shop_pages) == set(PageSlug.values)
    assert "shop@example.com" in shop_pages["contact"].body
    assert "Northwind Goods" in shop_pages["privacy"].body
    assert all(page.title and len(page.body) > 100 for page in shop_pages.values())


def test_migrate_again_keeps_what_staff_wrote(shop_pages):
    Page.objects.filter(slug="returns").update(body="Returns within 60 days.")

    default_pages.create_default_pages(apps, None)

    assert Page.objects.count() == len(PageSlug)
    assert Page.objects.get(slug="returns").body == "Returns within 60 days."


@pytest.mark.parametrize("slug", PageSlug.values)
def test_each_page_renders_at_its_address(client, shop_pages, slug):
    page = client.get(f"/{slug}/")

    assert page.status_code == 200
    assert f"<h1>{shop_pages[slug].title}</h1>" in page.text
    assert shop_pages[slug].get_absolute_url() == f"/{slug}/"


def test_a_page_body_is_plain_text_in_paragraphs_with_links(client):
    factories.PageFactory(
        slug="contact", body="Write to shop@example.com.\n\n<script>alert(1)</script> <b>bold</b>"
    )

    page = client.get("/contact/").text

    assert '<p>Write to <a href="mailto:shop@example.com">shop@example.com</a>.</p>' in page
    assert "<p>&lt;script&gt;alert(1)&lt;/script&gt; &lt;b&gt;bold&lt;/b&gt;</p>" in page
    assert "<script>alert(1)" not in page


def test_a_page_missing_from_the_database_is_not_found(client):
    assert client.get("/terms/").status_code == HTTPStatus.NOT_FOUND


def test_only_the_shops_pages_have_top_level_addresses(client):
    assert client.get("/about/").status_code == HTTPStatus.NOT_FOUND


def test_every_page_is_linked_from_the_footer(client):
    page = client.get(reverse("catalog:product_list")).text
    footer = page[page.index('<footer class="site-footer">') :]

    for slug in PageSlug.values:
        assert f'href="/{slug}/"' in footer


def test_the_not_found_page_offers_the_contact_page(client):
    page = client.get("/no-such-page/")

    assert page.status_code == HTTPStatus.NOT_FOUND
    assert '<a href="/contact/">Contact us</a>' in page.text


@pytest.mark.parametrize("send", [order_confirmation_send, order_shipped_email_send])
def test_order_emails_link_to_every_page_on_the_shops_address(settings, mailoutbox, send):
    settings.SHOP_BASE_URL = "https://shop.example.com"
    order = factories.OrderFactory(customer_email="buyer@example.com", carrier="UPS", tracking_number="1Z999")

    assert send(order_id=order.pk) is True

    (message,) = mailoutbox
    html = message.alternatives[0].content
    for slug in PageSlug.values:
        assert f"https://shop.example.com/{slug}/" in message.body
        assert f'href="https://shop.example.com/{slug}/"' in html


@pytest.mark.parametrize("role", [UserRole.ADMIN, UserRole.SUPER_ADMIN])
def test_staff_edit_a_page_and_the_shop_shows_it(client, shop_pages, role):
    client.force_login(factories.UserFactory(role=role))
    url = reverse("admin:pages_page_change", args=[shop_pages["shipping"].pk])
    data = form_data(client.get(url)) | {"title": "Delivery", "body": "We ship on Mondays.\n\nFree over $50."}

    response = client.post(url, data)

    assert response.status_code == HTTPStatus.FOUND
    page = client.get("/shipping/").text
    assert "<h1>Delivery</h1>" in page
    assert "<p>We ship on Mondays.</p>\n\n<p>Free over $50.</p>" in page


def test_staff_can_neither_add_nor_delete_a_page(client, shop_pages):
    client.force_login(factories.SuperAdminFactory())

    assert client.get(reverse("admin:pages_page_add")).status_code == HTTPStatus.FORBIDDEN
    delete_url = reverse("admin:pages_page_delete", args=[shop_pages["terms"].pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == HTTPStatus.FORBIDDEN
    assert Page.objects.filter(slug="terms").exists()


def test_a_shopper_cannot_reach_the_pages_admin_nor_change_a_page(client, shop_pages):
    client.force_login(factories.UserFactory())
    url = reverse("admin:pages_page_change", args=[shop_pages["contact"].pk])

    assert client.get(reverse("admin:pages_page_changelist")).status_code == HTTPStatus.FOUND
    response = client.post(url, {"title": "Hacked", "body": "Hacked"})

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("admin:login"))
    assert Page.objects.get(slug="contact").title == "Contact us"
