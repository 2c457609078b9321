"""The product gallery switches its main picture without JavaScript, by pointer and by keyboard."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests import factories
from tests.e2e.conftest import ARTIFACTS

ALTS = ["The mug from the side", "The mug from above", "The mug in a tote"]


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "java_script_enabled": False}


def main_picture(page):
    return page.get_by_role("region", name="Pictures of Enamel Camp Mug").locator("img.gallery-main:visible")


def thumbnail(page, alt):
    return page.locator("label.gallery-thumb", has=page.get_by_alt_text(alt))


def test_thumbnails_switch_the_main_picture_without_javascript(page, shop):
    price = factories.PriceFactory(product__name="Enamel Camp Mug", unit_amount=1800)
    product = price.product
    for position, alt in enumerate(ALTS):
        factories.ProductImageFactory(product=product, alt_text=alt, position=position)

    page.goto(product.get_absolute_url())
    expect(main_picture(page)).to_have_count(1)
    expect(main_picture(page)).to_have_attribute("alt", ALTS[0])

    thumbnail(page, ALTS[1]).click()
    expect(page.get_by_role("radio", name=ALTS[1])).to_be_checked()
    expect(main_picture(page)).to_have_attribute("alt", ALTS[1])
    assert page.url.endswith(product.get_absolute_url())

    # The pictures are one group of radio buttons: arrow keys move through them, with visible focus.
    page.get_by_role("radio", name=ALTS[1]).focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("radio", name=ALTS[2])).to_be_focused()
    expect(main_picture(page)).to_have_attribute("alt", ALTS[2])
    expect(thumbnail(page, ALTS[2])).to_have_css("outline-style", "solid")
    expect(thumbnail(page, ALTS[1])).to_have_css("outline-style", "none")


def test_picking_black_shows_the_black_t_shirt_without_javascript(page, shop):
    call_command("load_demo_catalog", verbosity=0)
    page.set_viewport_size({"width": 1280, "height": 800})

    page.goto("/products/organic-cotton-t-shirt/")
    colour = page.get_by_role("group", name="Colour")
    shown = page.get_by_role("region", name="Pictures of Organic Cotton T-Shirt").locator(
        "img.gallery-main:visible"
    )
    colour.get_by_role("link", name="Black", exact=True).click()

    expect(shown).to_have_attribute("alt", "Black cotton T-shirt, laid flat")
    page.screenshot(path=ARTIFACTS / "product-page-black-t-shirt-1280.png")
    colour.get_by_role("link", name="Navy", exact=True).click()
    expect(shown).to_have_attribute("alt", "Navy blue cotton T-shirt, laid flat")
    expect(page.get_by_alt_text("Black cotton T-shirt, laid flat")).to_have_count(0)
