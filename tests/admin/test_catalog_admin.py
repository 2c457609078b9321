"""Soft-delete and restore from the catalog admin; deleted rows stay visible to staff."""

import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from catalog.models import Price, Product, ProductImage, Variant
from tests import factories
from tests.admin.pages import changelist_url, messages_of, result_pks, run_action
from tests.images import png_upload


@pytest.mark.parametrize(
    ("model", "factory"),
    [(Product, factories.ProductFactory), (Price, factories.PriceFactory)],
    ids=["Product", "Price"],
)
def test_soft_delete_hides_rows_from_the_shop_and_restore_brings_them_back(
    super_admin_client, model, factory
):
    doomed, kept = factory(), factory()

    response = run_action(super_admin_client, model, "soft_delete", [doomed])

    assert f"Soft-deleted 1 {model._meta.verbose_name}" in " ".join(messages_of(response))
    doomed.refresh_from_db()
    assert doomed.deleted_at is not None
    assert kept in model.objects.for_sale()
    assert doomed not in model.objects.for_sale()
    # Still listed for staff, where it can be restored.
    assert str(doomed.pk) in result_pks(super_admin_client.get(changelist_url(model)))

    response = run_action(super_admin_client, model, "restore", [doomed])

    assert f"Restored 1 {model._meta.verbose_name}" in " ".join(messages_of(response))
    doomed.refresh_from_db()
    assert doomed.deleted_at is None
    assert doomed in model.objects.for_sale()


def test_soft_delete_keeps_the_first_deletion_time(super_admin_client):
    deleted_at = timezone.now() - timezone.timedelta(days=3)
    product = factories.ProductFactory(deleted_at=deleted_at)

    response = run_action(super_admin_client, Product, "soft_delete", [product])

    assert "Soft-deleted 0 products" in " ".join(messages_of(response))
    product.refresh_from_db()
    assert abs(product.deleted_at - deleted_at) < timezone.timedelta(milliseconds=1)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("yes", {"deleted"}), ("no", {"live", "inactive"}), (None, {"deleted", "live", "inactive"})],
)
def test_deleted_filter(super_admin_client, value, expected):
    rows = {
        "deleted": factories.ProductFactory(deleted_at=timezone.now()),
        "live": factories.ProductFactory(),
        "inactive": factories.ProductFactory(active=False),
    }

    response = super_admin_client.get(changelist_url(Product, **({"deleted": value} if value else {})))

    assert result_pks(response) == {str(rows[name].pk) for name in expected}


def test_inactive_filter_on_prices(super_admin_client):
    active, inactive = factories.PriceFactory(), factories.PriceFactory(active=False)

    response = super_admin_client.get(changelist_url(Price, active__exact=0))

    assert result_pks(response) == {str(inactive.pk)}
    assert str(active.pk) not in result_pks(response)


def test_search_finds_products_by_name_and_stripe_id(super_admin_client):
    desk = factories.ProductFactory(name="Walnut desk", stripe_product_id="prod_desk")
    factories.ProductFactory(name="Oak chair", stripe_product_id="prod_chair")

    by_name = super_admin_client.get(changelist_url(Product, q="walnut"))
    by_stripe_id = super_admin_client.get(changelist_url(Product, q="prod_desk"))

    assert result_pks(by_name) == result_pks(by_stripe_id) == {str(desk.pk)}


def test_search_finds_prices_by_product_name_and_stripe_id(super_admin_client):
    price = factories.PriceFactory(product__name="Walnut desk", stripe_price_id="price_desk")
    factories.PriceFactory(product__name="Oak chair")

    assert result_pks(super_admin_client.get(changelist_url(Price, q="walnut"))) == {str(price.pk)}
    assert result_pks(super_admin_client.get(changelist_url(Price, q="price_desk"))) == {str(price.pk)}


def test_admin_role_can_soft_delete(admin_role_client):
    product = factories.ProductFactory()

    run_action(admin_role_client, Product, "soft_delete", [product])

    product.refresh_from_db()
    assert product.is_deleted


def test_shopper_cannot_run_catalog_actions(client, db):
    product = factories.ProductFactory()
    client.force_login(factories.UserFactory())

    response = run_action(client, Product, "soft_delete", [product])

    assert response.redirect_chain[0][0].startswith("/admin/login/")
    product.refresh_from_db()
    assert not product.is_deleted


def test_anonymous_visitor_cannot_run_catalog_actions(client, db):
    product = factories.ProductFactory(deleted_at=timezone.now())

    run_action(client, Product, "restore", [product])

    product.refresh_from_db()
    assert product.is_deleted


def test_price_change_page_refuses_a_recurring_price_without_interval(super_admin_client):
    price = factories.PriceFactory()

    response = super_admin_client.post(
        f"/admin/catalog/price/{price.pk}/change/",
        {
            "product": str(price.product.pk),
            "nickname": "",
            "type": "RECURRING",
            "unit_amount": "9.00",
            "currency": "usd",
            "recurring_interval": "",
            "recurring_interval_count": "1",
            "active": "on",
            "metadata": "{}",
        },
    )

    assert response.status_code == 200
    assert "A recurring price needs a billing interval." in response.text
    price.refresh_from_db()
    assert price.type == "ONE_TIME"
    assert price.unit_amount == 1500


# --- What staff may enter ---------------------------------------------------------------------


def _product_form(name, *, images=(), prices=(), initial_images=0):
    """The product page's POST: `images` and `prices` are the rows of its two inlines."""
    data = {
        "name": name,
        "slug": name.lower().replace(" ", "-"),
        "description": "",
        "metadata": "{}",
        "active": "on",
    }
    inlines = (
        ("images", images, initial_images),
        ("prices", prices, 0),
        ("variants", (), 0),
        ("memberships", (), 0),
    )
    for prefix, rows, initial in inlines:
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": str(len(rows)),
                f"{prefix}-INITIAL_FORMS": str(initial),
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    for index, price in enumerate(prices):
        fields = {
            "nickname": "",
            "type": "ONE_TIME",
            "currency": "usd",
            "recurring_interval_count": "1",
            **price,
        }
        data.update({f"prices-{index}-{field}": value for field, value in fields.items()})
    for index, image in enumerate(images):
        data.update({f"images-{index}-{field}": value for field, value in image.items()})
    return data


def test_staff_upload_a_picture_with_its_alt_text_and_the_product_page_shows_it(super_admin_client):
    form = _product_form(
        "Mug",
        images=[{"image": png_upload("mug.png"), "alt_text": "White enamel mug", "position": "0"}],
        prices=[{"unit_amount": "18.00"}],
    )

    response = super_admin_client.post(reverse("admin:catalog_product_add"), form, follow=True)

    assert response.status_code == 200
    image = ProductImage.objects.get(product__name="Mug")
    assert image.image.name.startswith("catalog/products/mug")
    assert default_storage.exists(image.image.name)
    assert image.product.card_image == image.image.name
    page = super_admin_client.get(image.product.get_absolute_url()).text
    assert 'alt="White enamel mug"' in page


def test_the_product_page_in_admin_is_a_multipart_form_with_an_image_inline(super_admin_client):
    page = super_admin_client.get(reverse("admin:catalog_product_add")).text

    assert 'enctype="multipart/form-data"' in page
    assert 'name="images-0-image"' in page
    assert 'name="images-0-alt_text"' in page
    assert 'name="images-0-position"' in page


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("mug.png", b"This is a text file, not a picture."),
        ("mug.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>'),
        ("mug.html", b"<script>alert(document.cookie)</script>"),
    ],
    ids=["text-named-png", "svg", "html"],
)
def test_a_file_that_is_not_a_picture_is_refused_with_a_form_error(super_admin_client, name, content):
    upload = SimpleUploadedFile(name, content, content_type="image/png")
    form = _product_form("Mug", images=[{"image": upload, "alt_text": "A mug", "position": "0"}])

    response = super_admin_client.post(reverse("admin:catalog_product_add"), form)

    assert response.status_code == 200
    assert "Upload a valid image." in response.text
    assert not Product.objects.filter(name="Mug").exists()
    assert not ProductImage.objects.exists()


def test_a_picture_without_alt_text_is_refused(super_admin_client):
    form = _product_form("Mug", images=[{"image": png_upload(), "alt_text": "", "position": "0"}])

    response = super_admin_client.post(reverse("admin:catalog_product_add"), form)

    assert response.status_code == 200
    assert "This field is required." in response.text
    assert not Product.objects.filter(name="Mug").exists()


def test_a_picture_in_a_format_browsers_do_not_show_is_refused(super_admin_client):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), "red").save(buffer, "TIFF")
    upload = SimpleUploadedFile("mug.tiff", buffer.getvalue(), content_type="image/tiff")
    form = _product_form("Mug", images=[{"image": upload, "alt_text": "A mug", "position": "0"}])

    response = super_admin_client.post(reverse("admin:catalog_product_add"), form)

    assert "Upload a JPEG, PNG, WebP or GIF picture" in response.text
    assert not Product.objects.filter(name="Mug").exists()


def test_staff_reorder_pictures_by_position_and_the_main_picture_follows(super_admin_client):
    product = factories.ProductFactory(name="Mug")
    factories.PriceFactory(product=product)
    side = factories.ProductImageFactory(product=product, alt_text="The mug from the side", position=0)
    top = factories.ProductImageFactory(product=product, alt_text="The mug from above", position=1)
    form = _product_form(
        "Mug",
        images=[
            {"id": str(side.pk), "alt_text": side.alt_text, "position": "2"},
            {"id": str(top.pk), "alt_text": top.alt_text, "position": "1"},
        ],
        initial_images=2,
    )

    response = super_admin_client.post(
        reverse("admin:catalog_product_change", args=[product.pk]), form, follow=True
    )

    assert response.status_code == 200
    product.refresh_from_db()
    assert product.card_image == top.image.name
    page = super_admin_client.get(product.get_absolute_url()).text
    assert page.index('alt="The mug from above"') < page.index('alt="The mug from the side"')
    assert re.search(r'class="gallery-main" src="[^"]+" alt="The mug from above"', page)


def test_price_page_refuses_an_amount_stripe_cannot_take(super_admin_client):
    price = factories.PriceFactory()

    response = super_admin_client.post(
        f"/admin/catalog/price/{price.pk}/change/",
        {
            "product": str(price.product.pk),
            "nickname": "",
            "type": "ONE_TIME",
            "unit_amount": "1000000.00",
            "currency": "usd",
            "recurring_interval": "",
            "recurring_interval_count": "1",
            "active": "on",
            "metadata": "{}",
        },
    )

    assert response.status_code == 200
    assert "Enter at most $999,999.99: Stripe does not take larger prices." in response.text
    price.refresh_from_db()
    assert price.unit_amount == 1500


def test_product_page_refuses_a_new_price_stripe_cannot_take(super_admin_client):
    form = _product_form("Mug", prices=[{"unit_amount": "1000000"}])

    response = super_admin_client.post(reverse("admin:catalog_product_add"), form)

    assert "Enter at most $999,999.99: Stripe does not take larger prices." in response.text
    assert not Product.objects.filter(name="Mug").exists()


def test_the_largest_price_stripe_takes_is_accepted(db):
    factories.PriceFactory.build(product=factories.ProductFactory(), unit_amount=99_999_999).full_clean()

    with pytest.raises(ValidationError) as refused:
        factories.PriceFactory.build(product=factories.ProductFactory(), unit_amount=100_000_000).full_clean()

    assert "unit_amount" in refused.value.message_dict


def test_staff_give_a_picture_one_of_its_products_variants_and_never_another_products(super_admin_client):
    colours = [{"name": "Colour", "values": ["Navy", "Black"]}]
    product = factories.ProductFactory(name="Mug", option_axes=colours)
    own = Variant.objects.create(product=product, option_values={"Colour": "Black"})
    other = Variant.objects.create(
        product=factories.ProductFactory(name="Cap", option_axes=colours), option_values={"Colour": "Black"}
    )
    picture = factories.ProductImageFactory(product=product, alt_text="A mug", position=0)
    change = reverse("admin:catalog_product_change", args=[product.pk])

    def post(variant):
        row = {"id": str(picture.pk), "alt_text": "A mug", "position": "0", "variant": str(variant.pk)}
        return super_admin_client.post(change, _product_form("Mug", images=[row], initial_images=1))

    offered = re.search(
        r'<select name="images-0-variant"[^>]*>(.*?)</select>', super_admin_client.get(change).text, re.S
    )
    refused = post(other)
    kept_blank = ProductImage.objects.get(pk=picture.pk).variant_id
    accepted = post(own)

    assert f'value="{own.pk}">Black</option>' in offered[1]
    assert f'value="{other.pk}"' not in offered[1]
    assert refused.status_code == 200
    assert "Select a valid choice" in refused.text
    assert kept_blank is None
    assert accepted.status_code == 302
    assert ProductImage.objects.get(pk=picture.pk).variant_id == own.pk


def test_staff_upload_a_download_to_a_product_that_ships_nothing_and_media_does_not_hold_it(
    super_admin_client,
):
    form = _product_form("Brewing guide", prices=[{"unit_amount": "9.00"}])
    form["download"] = SimpleUploadedFile("guide.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")

    super_admin_client.post(reverse("admin:catalog_product_add"), form)

    product = Product.objects.get(name="Brewing guide")
    assert product.download.read() == b"%PDF-1.4\n%%EOF\n"
    assert not default_storage.exists(product.download.name)


def test_a_download_on_a_product_that_requires_shipping_is_refused_with_a_form_error(super_admin_client):
    kept = factories.ProductFactory(name="Kept", requires_shipping=False)
    form = _product_form("Mug", prices=[{"unit_amount": "18.00"}])
    form.update(
        requires_shipping="on",
        download=SimpleUploadedFile("mug.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf"),
    )

    response = super_admin_client.post(reverse("admin:catalog_product_add"), form)

    assert response.status_code == 200
    assert "Only a product that ships nothing can have a file to download" in response.text
    assert not Product.objects.filter(name="Mug").exists()
    assert not Product.objects.get(pk=kept.pk).download
