"""Admin pages at a laptop's width: nothing staff need is cut off."""

from django.tasks import TaskResultStatus
from playwright.sync_api import Page, expect

from catalog.models import Variant
from jobs.models import TaskRecord
from orders.models import FulfillmentStatus, PaymentStatus
from tests import factories
from tests.e2e.conftest import ARTIFACTS
from tests.images import png_upload

# How many lines the text of an element wraps onto.
LINES_OF_TEXT = """element => {
    const range = document.createRange();
    range.selectNodeContents(element);
    return new Set([...range.getClientRects()].map(rect => Math.round(rect.top))).size;
}"""


def assert_columns_in_view(table_box, fields) -> None:
    """The table scrolls sideways inside its box when it does not fit: what is past the edge is
    hidden. `fields` name the columns as the admin does (its headings carry `column-<field>`); the
    last column (an inline's "Delete?") is checked too."""
    visible_right = table_box.evaluate("box => box.getBoundingClientRect().right")
    headings = {field: f"thead th.column-{field}" for field in fields} | {
        "last column": "thead th:last-child"
    }
    for name, selector in headings.items():
        box = table_box.locator(selector).first.bounding_box()
        assert box is not None, name
        assert box["x"] + box["width"] <= visible_right, f"{name} ends at {box['x'] + box['width']} px"


def sign_in_to_admin(page: Page, email: str) -> None:
    page.goto("/admin/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Run the shop")).to_be_visible()


def test_the_order_list_fits_a_1280_pixel_window(page, live_server, db):
    factories.AdminFactory(email="staff@example.com")
    factories.OrderFactory(
        user=None,
        paid=True,
        customer_email="a.very.long.customer.address@example-business-domain.com",
        payment_status=PaymentStatus.REQUIRES_PAYMENT_METHOD,
        fulfillment_status=FulfillmentStatus.UNFULFILLED,
        amount_total=1234567,
        refunded_amount=234567,
    )
    factories.OrderFactory(user=None, paid=True, payment_status=PaymentStatus.PARTIALLY_REFUNDED)
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in_to_admin(page, "staff@example.com")

    page.goto("/admin/orders/order/")

    results = page.locator("#changelist .results")
    expect(results).to_be_visible()
    assert_columns_in_view(
        results, ["order_number", "payment", "fulfilment", "total_and_refunded", "created"]
    )
    assert results.evaluate("box => box.scrollWidth <= box.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "admin-order-list-1280.png", full_page=True)


def test_the_order_page_reads_addresses_and_history_in_words_at_both_sizes(page, live_server, db):
    factories.AdminFactory(email="staff@example.com")
    order = factories.OrderFactory(
        user=None,
        paid=True,
        customer_name="Ada Lovelace",
        shipping_name="Ada Lovelace",
        shipping_address={
            "line1": "1 Harbour Street",
            "line2": "",
            "city": "Portland",
            "state": "ME",
            "postal_code": "04101",
            "country": "US",
        },
    )
    order.set_status("fulfillment_status", FulfillmentStatus.SHIPPED, carrier="UPS", tracking_number="1Z1")
    sign_in_to_admin(page, "staff@example.com")
    ARTIFACTS.mkdir(exist_ok=True)

    for width, height in [(1280, 800), (390, 844)]:
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"/admin/orders/order/{order.pk}/change/")

        addresses = page.get_by_role("group", name="Addresses")
        expect(addresses).to_contain_text("Portland, ME 04101")
        expect(addresses).to_contain_text("United States")
        expect(page.get_by_role("group", name="Status history")).to_contain_text("Unfulfilled → Shipped")
        expect(page.get_by_role("link", name="View on site")).to_have_count(0)
        page.screenshot(path=ARTIFACTS / f"admin-order-page-{width}.png", full_page=True)


def test_the_product_list_fits_a_1280_pixel_window_with_its_thumbnails(page, live_server, db):
    factories.AdminFactory(email="staff@example.com")
    product = factories.ProductFactory(name="A product with a rather long name for its column")
    factories.ProductImageFactory(product=product, image=png_upload("mug.png"), alt_text="The mug")
    factories.PriceFactory(product=product, unit_amount=1234567)
    factories.PriceFactory(product=product, monthly=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in_to_admin(page, "staff@example.com")

    page.goto("/admin/catalog/product/")

    results = page.locator("#changelist .results")
    assert_columns_in_view(results, ["thumbnail", "name", "price_labels", "in_sync_with_stripe", "created"])
    expect(results.locator("td.field-thumbnail img")).to_have_count(1)


def test_typing_a_coupons_amount_off_shows_how_shoppers_read_it(page, live_server, db):
    factories.AdminFactory(email="staff@example.com")
    sign_in_to_admin(page, "staff@example.com")

    page.goto("/admin/catalog/coupon/add/")
    page.get_by_label("Currency").fill("usd")
    page.get_by_label("Amount off").fill("5")

    expect(page.locator("output.shop-money-preview")).to_have_text("Shoppers read: $5.00 off")
    page.get_by_label("Amount off").fill("12.5")
    expect(page.locator("output.shop-money-preview")).to_have_text("Shoppers read: $12.50 off")


def test_the_order_history_scrolls_by_keyboard_on_a_phone(page, live_server, db):
    factories.AdminFactory(email="staff@example.com")
    order = factories.OrderFactory(user=None, paid=True)
    factories.OrderItemFactory(order=order, product_name="A long product name that needs room")
    sign_in_to_admin(page, "staff@example.com")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/admin/orders/order/{order.pk}/change/")

    items = page.get_by_role("region", name="Order items")
    assert items.evaluate("box => box.scrollWidth > box.clientWidth")
    items.focus()
    expect(items).to_be_focused()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("el => el.scrollLeft > 0", arg=items.element_handle())


def test_each_inline_row_shows_its_whole_label_at_1280_pixels(page, live_server, db):
    factories.AdminFactory(email="staff@example.com")
    order = factories.OrderFactory(user=None, paid=True)
    factories.OrderItemFactory(order=order, product_name="Organic cotton T-shirt (M, Navy)")
    order.set_status("fulfillment_status", FulfillmentStatus.FULFILLED, note="Packed")
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in_to_admin(page, "staff@example.com")

    page.goto(f"/admin/orders/order/{order.pk}/change/")

    labels = page.locator(".inline-group td.original p")
    expect(labels).to_have_count(2)
    for label in labels.all():
        # The label is cut to one line's height: a wrapped label shows only its first line.
        assert label.evaluate(LINES_OF_TEXT) == 1, label.inner_text()
    expect(page.get_by_role("group", name="Status history")).to_contain_text(order.number)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "admin-order-inlines-1280.png", full_page=True)


def test_the_task_list_shows_a_failed_tasks_error_in_a_1280_pixel_window(page, live_server, db):
    factories.AdminFactory(email="staff@example.com")
    traceback = (
        'Traceback (most recent call last):\n  File "jobs/tasks.py", line 40, in email_deliver\n'
        "ConnectionRefusedError: [Errno 111] Connection refused by the mail server at smtp.example.com:587"
    )
    TaskRecord.objects.create(
        task_path="payments.tasks.webhook_event_handle",
        queue_name="default",
        backend_name="default",
        max_attempts=10,
        attempts=10,
        status=TaskResultStatus.FAILED,
        errors=[{"exception_class_path": "builtins.ConnectionRefusedError", "traceback": traceback}],
    )
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in_to_admin(page, "staff@example.com")

    page.goto("/admin/jobs/taskrecord/")

    results = page.locator("#changelist .results")
    assert_columns_in_view(results, ["task", "status", "tries", "run_after", "short_error"])
    expect(results.get_by_text("ConnectionRefusedError: [Errno 111] Connection refused")).to_be_visible()
    expect(results.get_by_text("10 of 10")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "admin-task-list-1280.png", full_page=True)


def test_the_variant_and_picture_tables_of_a_product_fit_a_1280_pixel_window(page, live_server, db):
    factories.AdminFactory(email="staff@example.com")
    product = factories.ProductFactory(
        name="Organic cotton T-shirt",
        option_axes=[
            {"name": "Size", "values": ["S", "M", "L"]},
            {"name": "Colour", "values": ["Navy", "Black"]},
        ],
    )
    black = Variant.objects.create(
        product=product,
        option_values={"Size": "M", "Colour": "Black"},
        sku="ORGANIC-COTTON-T-SHIRT-M-BLACK",
        track_stock=True,
    )
    factories.ProductImageFactory(product=product, variant=black, alt_text="Black cotton T-shirt, laid flat")
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in_to_admin(page, "staff@example.com")

    page.goto(f"/admin/catalog/product/{product.pk}/change/")

    variants = page.locator("#variants-group")
    expect(variants).to_be_visible()
    assert_columns_in_view(variants, ["option_values", "sku", "track_stock", "on_hand", "available"])
    assert_columns_in_view(page.locator("#images-group"), ["image", "alt_text", "variant", "position"])
    page.screenshot(path=ARTIFACTS / "admin-product-variants-1280.png", full_page=True)
