"""The product page's option pickers and stock, the back-in-stock list, and collection pages."""

import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from catalog.models import Collection, CollectionProduct, Price, Product, Variant
from catalog.page_cache import catalog_changed
from inventory.models import BackInStockRequest
from inventory.services import stock_adjust
from tests import factories

pytestmark = pytest.mark.django_db


def t_shirt(stock: dict) -> Product:
    """A T-shirt with a variant and a $25 price per (size, colour) in `stock`; L/Black not made."""
    product = factories.ProductFactory(
        name="Tee",
        option_axes=[
            {"name": "Size", "values": ["S", "M", "L"]},
            {"name": "Colour", "values": ["Navy", "Black"]},
        ],
    )
    for position, ((size, colour), units) in enumerate(stock.items()):
        variant = Variant.objects.create(
            product=product, option_values={"Size": size, "Colour": colour}, position=position
        )
        if units:
            stock_adjust(variant=variant, quantity=units, reason="Delivery")
        Price.objects.create(product=product, variant=variant, unit_amount=2500 + position, currency="usd")
    return product


def page(client, product, **options):
    return client.get(product.get_absolute_url(), options)


def test_choosing_options_selects_the_variants_price_and_shows_its_stock(client):
    tee = t_shirt({("S", "Navy"): 8, ("M", "Navy"): 2, ("S", "Black"): 0})

    chosen = page(client, tee, Size="M", Colour="Navy")

    assert chosen.context["product"].selected_variant.option_values == {"Size": "M", "Colour": "Navy"}
    assert [price.unit_amount for price in chosen.context["product"].prices_for_sale] == [2501]
    assert "M, Navy: Only 2 left" in chosen.text
    assert chosen.text.count('action="/cart/add/"') == 1
    assert 'max="2"' in chosen.text


def test_a_sold_out_combination_is_a_link_to_its_page_where_it_cannot_be_bought_but_can_be_waited_for(
    client,
):
    tee = t_shirt({("S", "Navy"): 8, ("M", "Navy"): 2, ("S", "Black"): 0})

    shown = page(client, tee, Size="S", Colour="Navy").text

    # Black in S is sold out: a link, saying so; L exists in no colour: not a link.
    assert 'href="?Size=S&amp;Colour=Black">Black <span class="small">(sold out)</span></a>' in shown
    assert 'L <span class="small">(not available)</span></span>' in shown
    assert 'href="?Size=M&amp;Colour=Navy"' in shown
    sold_out = page(client, tee, Size="S", Colour="Black")
    assert "S, Black: Sold out" in sold_out.text
    assert 'action="/cart/add/"' not in sold_out.text
    assert "Tell me when it is back" in sold_out.text


def test_a_value_whose_combination_is_not_made_links_to_the_nearest_variant_that_has_it(client):
    tee = t_shirt({("S", "Navy"): 8, ("M", "Navy"): 2, ("S", "Black"): 3, ("L", "Black"): 0})

    in_medium = page(client, tee, Size="M", Colour="Navy").text
    in_large = page(client, tee, Size="L", Colour="Black").text

    # No black in M: Black leads to the black one in S, and says the size changes.
    assert 'href="?Size=S&amp;Colour=Black">Black <span class="small">(not in M)</span></a>' in in_medium
    # No navy in L: Navy leads to a navy one (S comes first); no M in black: M leads to the navy M.
    assert 'href="?Size=S&amp;Colour=Navy">Navy <span class="small">(not in L)</span></a>' in in_large
    assert 'href="?Size=M&amp;Colour=Navy">M <span class="small">(not in Black)</span></a>' in in_large


def test_every_variant_is_reached_by_following_the_option_links(client):
    tee = t_shirt({("S", "Navy"): 0, ("M", "Navy"): 2, ("S", "Black"): 0, ("L", "Black"): 1})
    url = tee.get_absolute_url()

    seen, reached, queue = set(), set(), [""]
    while queue:
        query = queue.pop()
        if query in seen:
            continue
        seen.add(query)
        shown = client.get(url + query)
        reached.add(shown.context["product"].selected_variant.option_key)
        queue += re.findall(r'class="option-value[^"]*" href="(\?[^"]+)"', shown.text.replace("&amp;", "&"))

    assert reached == set(Variant.objects.filter(product=tee).values_list("option_key", flat=True))


def test_a_sold_out_variants_page_is_kept_once_and_shows_its_restock_at_once(client, database_commands):
    tee = t_shirt({("S", "Navy"): 8, ("M", "Black"): 0})
    medium_black = Variant.objects.get(product=tee, option_key="Colour=Black|Size=M")
    assert "M, Black: Sold out" in page(client, tee, Size="M", Colour="Black").text
    assert 'Black <span class="small">(sold out, not in S)' in page(client, tee, Size="S", Colour="Navy").text

    with database_commands() as kept:
        again = client.get(tee.get_absolute_url() + "?Colour=Black&Size=M")
    assert len(kept.captured_queries) == 1  # the kept page with its generations
    assert "M, Black: Sold out" in again.text

    stock_adjust(variant=medium_black, quantity=2, reason="Delivery")

    restocked = page(client, tee, Size="M", Colour="Black").text
    assert "M, Black: Only 2 left" in restocked
    assert 'action="/cart/add/"' in restocked
    assert "Tell me when it is back" not in restocked
    assert 'Black <span class="small">(not in S)' in page(client, tee, Size="S", Colour="Navy").text


def test_the_back_in_stock_form_is_offered_only_for_the_chosen_variant_when_it_is_sold_out(client):
    tee = t_shirt({("S", "Navy"): 8, ("M", "Navy"): 0, ("S", "Black"): 0})
    variant = {(v.option_values["Size"], v.option_values["Colour"]): v for v in tee.variants.all()}

    in_stock = page(client, tee, Size="S", Colour="Navy").text
    sold_out = page(client, tee, Size="S", Colour="Black").text

    # Another variant being sold out is no reason to offer the list on an in-stock one.
    assert "Tell me when it is back" not in in_stock
    form = re.search(r'<form[^>]*class="back-in-stock".*?</form>', sold_out, re.S).group(0)
    assert f'<input type="hidden" name="variant_id" value="{variant["S", "Black"].pk}">' in form
    assert str(variant["M", "Navy"].pk) not in form
    assert "<select" not in form


def test_with_no_options_chosen_the_first_variant_for_sale_is_shown(client):
    tee = t_shirt({("S", "Navy"): 0, ("M", "Navy"): 5})

    shown = page(client, tee)

    assert shown.context["product"].selected_variant.option_values == {"Size": "M", "Colour": "Navy"}


def test_a_product_without_options_shows_in_stock_only_when_counted(client):
    counted = factories.PriceFactory(product__name="Mug")
    Variant.objects.filter(pk=counted.variant_id).update(track_stock=True)
    stock_adjust(variant=Variant.objects.get(pk=counted.variant_id), quantity=12, reason="Delivery")
    uncounted = factories.PriceFactory(product__name="Ebook")

    assert "In stock" in client.get(counted.product.get_absolute_url()).text
    assert 'data-testid="stock-level"' not in client.get(uncounted.product.get_absolute_url()).text


def test_the_cart_refuses_more_than_is_available(client):
    price = factories.PriceFactory(product__name="Mug")
    Variant.objects.filter(pk=price.variant_id).update(track_stock=True)
    stock_adjust(variant=Variant.objects.get(pk=price.variant_id), quantity=3, reason="Delivery")
    add = {"product_id": str(price.product_id), "price_id": str(price.pk)}

    client.post(reverse("cart:add"), {**add, "quantity": 2})
    refused = client.post(reverse("cart:add"), {**add, "quantity": 2}, follow=True)

    assert "Only 3 left, and your cart already holds 2" in refused.text
    cart = client.get(reverse("cart:detail"))
    assert [line.quantity for line in cart.context["lines"]] == [2]


def test_shoppers_sign_up_once_and_are_emailed_once_when_it_is_restocked(client):
    tee = t_shirt({("S", "Navy"): 0, ("M", "Navy"): 4})
    sold_out = Variant.objects.get(product=tee, option_key="Colour=Navy|Size=S")
    url = reverse("catalog:back_in_stock_signup", args=[tee.slug])

    for email in ("ada@example.com", "ADA@example.com", "bob@example.com"):
        answer = client.post(url, {"variant_id": str(sold_out.pk), "email": email}, follow=True)
        assert "we will email you once, when it is back in stock" in answer.text
    assert BackInStockRequest.objects.filter(variant=sold_out).count() == 2

    stock_adjust(
        variant=Variant.objects.get(product=tee, option_key="Colour=Navy|Size=M"), quantity=3, reason="More"
    )
    assert mail.outbox == []
    stock_adjust(variant=sold_out, quantity=5, reason="Restock")
    stock_adjust(variant=sold_out, quantity=5, reason="Restock again")

    assert sorted(message.to[0] for message in mail.outbox) == ["ada@example.com", "bob@example.com"]
    assert mail.outbox[0].subject == "Tee is back in stock"
    assert f"/products/{tee.slug}/" in mail.outbox[0].body


def test_the_back_in_stock_email_opens_the_page_of_the_variant_it_names(client, settings):
    tee = t_shirt({("S", "Navy"): 4, ("L", "Black"): 0})
    large_black = Variant.objects.get(product=tee, option_key="Colour=Black|Size=L")
    url = reverse("catalog:back_in_stock_signup", args=[tee.slug])
    client.post(url, {"variant_id": str(large_black.pk), "email": "ada@example.com"})

    stock_adjust(variant=large_black, quantity=5, reason="Restock")

    [email] = mail.outbox
    assert "Tee (L, Black) is back in stock" in email.body
    [link] = re.findall(rf"{re.escape(settings.SHOP_BASE_URL)}(\S+)", email.body)
    html_links = re.findall(r'href="([^"]+)"', email.alternatives[0][0].replace("&amp;", "&"))
    assert settings.SHOP_BASE_URL + link in html_links
    opened = client.get(link)
    assert opened.context["product"].selected_variant == large_black
    assert "L, Black: In stock" in opened.text
    # The page's own link to that variant is the same address.
    query = link.removeprefix(tee.get_absolute_url())
    assert f'href="{query}"' in page(client, tee).text.replace("&amp;", "&")


def test_a_shopper_emailed_once_who_signs_up_again_is_emailed_again_at_the_next_restock(client):
    tee = t_shirt({("S", "Navy"): 1, ("M", "Navy"): 4})
    small = Variant.objects.get(product=tee, option_key="Colour=Navy|Size=S")
    url = reverse("catalog:back_in_stock_signup", args=[tee.slug])

    def sign_up(email):
        answer = client.post(url, {"variant_id": str(small.pk), "email": email}, follow=True)
        assert "we will email you once, when it is back in stock" in answer.text

    stock_adjust(variant=small, quantity=-1, reason="Sold in the store")
    sign_up("ada@example.com")
    sign_up("bob@example.com")
    stock_adjust(variant=small, quantity=2, reason="Delivery")
    assert sorted(message.to[0] for message in mail.outbox) == ["ada@example.com", "bob@example.com"]

    stock_adjust(variant=small, quantity=-2, reason="Sold in the store")
    sign_up("ADA@example.com")
    stock_adjust(variant=small, quantity=3, reason="Delivery")

    # Ada asked again and hears again; Bob did not, and is not emailed twice.
    assert sorted(message.to[0] for message in mail.outbox) == [
        "ada@example.com",
        "ada@example.com",
        "bob@example.com",
    ]
    assert mail.outbox[-1].subject == "Tee is back in stock"


def shelf(*names):
    return [
        factories.PriceFactory(product__name=name, unit_amount=1000 + index).product
        for index, name in enumerate(names)
    ]


def test_a_collection_page_lists_its_products_with_the_catalogs_sort_and_pages(client):
    kitchen = Collection.objects.create(name="Kitchen", slug="kitchen")
    garden = Collection.objects.create(name="Garden", slug="garden", position=1)
    mug, pot, spade = shelf("Mug", "Pot", "Spade")
    for product in (mug, pot):
        CollectionProduct.objects.create(collection=kitchen, product=product)
    for product in (pot, spade):
        CollectionProduct.objects.create(collection=garden, product=product)

    listed = client.get(reverse("catalog:collection_detail", args=["kitchen"]), {"sort": "-price"})

    assert [product.name for product in listed.context["products"]] == ["Pot", "Mug"]
    assert 'Garden <span class="muted">(2)</span>' in listed.text
    assert 'Kitchen <span class="muted">(2)</span>' in listed.text
    assert '<a href="/collections/garden/">Garden</a>' in listed.text
    paged = client.get(reverse("catalog:collection_detail", args=["garden"]), {"q": "spade"})
    assert [product.name for product in paged.context["products"]] == ["Spade"]
    assert client.get(reverse("catalog:collection_detail", args=["nothing"])).status_code == 404


def test_the_collections_lead_the_main_navigation_on_every_shop_page(client):
    kitchen = Collection.objects.create(name="Kitchen", slug="kitchen")
    [mug] = shelf("Mug")
    CollectionProduct.objects.create(collection=kitchen, product=mug)
    link = '<li><a href="/collections/kitchen/">Kitchen</a></li>'

    for path in (
        "/",
        mug.get_absolute_url(),
        reverse("cart:detail"),
        reverse("account_login"),
        "/pages/shipping/",
    ):
        assert link in client.get(path).text, path


def test_a_collection_page_sends_as_many_database_commands_for_40_products_as_for_4(
    client, database_commands
):
    kitchen = Collection.objects.create(name="Kitchen", slug="kitchen")
    url = reverse("catalog:collection_detail", args=["kitchen"])
    for product in shelf(*(f"Item {n}" for n in range(4))):
        CollectionProduct.objects.create(collection=kitchen, product=product)
    client.get(url)
    with database_commands() as small:
        client.get(url)
    for product in shelf(*(f"Thing {n}" for n in range(36))):
        CollectionProduct.objects.create(collection=kitchen, product=product)
    client.get(url)  # reads the navigation again, kept a minute in the process
    catalog_changed()
    with database_commands() as large:
        response = client.get(url)

    assert len(response.context["products"]) == 24
    # The collection, the catalog's generation with the page it keeps, and not kept since the
    # collection changed: the collections' tree, its products' ids, the ids found in its order
    # and the page's products.
    assert len(large.captured_queries) == 6
    # Kept: the collection, then the generation with the page.
    assert len(small.captured_queries) == 2


def test_a_cart_whose_item_sold_out_while_it_sat_says_so_and_keeps_the_line(client):
    price = factories.PriceFactory(product__name="Mug")
    variant = Variant.objects.get(pk=price.variant_id)
    Variant.objects.filter(pk=variant.pk).update(track_stock=True)
    stock_adjust(variant=variant, quantity=2, reason="Delivery")
    client.post(
        reverse("cart:add"), {"product_id": str(price.product_id), "price_id": str(price.pk), "quantity": 2}
    )

    stock_adjust(variant=variant, quantity=-2, reason="Broken in the store")
    cart = client.get(reverse("cart:detail"))

    assert "Sold out since you added it: remove it to check out the rest." in cart.text
    assert [line.quantity for line in cart.context["lines"]] == [2]


def test_a_combination_exists_once_and_only_of_the_products_options():
    product = factories.PriceFactory(product__name="Tee").product
    product.option_axes = [{"name": "Size", "values": ["S", "M"]}]
    product.save()
    small = Variant(product=product, option_values={"Size": "S"})
    small.full_clean()
    small.save()

    with pytest.raises(ValidationError, match="already exists"):
        Variant(product=product, option_values={"Size": "S"}, sku="OTHER").full_clean()
    with pytest.raises(ValidationError, match="'XL' is not one of the values of Size"):
        Variant(product=product, option_values={"Size": "XL"}).full_clean()
    with pytest.raises(ValidationError, match="names and values unique"):
        Product(name="Cap", slug="cap", option_axes=[{"name": "Size", "values": ["S", "S"]}]).full_clean()
    assert small.sku == "TEE-S"


def test_choosing_a_colour_never_changes_the_size_the_shopper_chose(client):
    tee = t_shirt({("S", "Black"): 4, ("L", "Navy"): 5, ("L", "Black"): 0})

    in_large = page(client, tee, Size="L", Colour="Navy").text

    # Black in L is sold out: it leads to L/Black, which says so, never to S/Black.
    assert 'href="?Size=L&amp;Colour=Black">Black <span class="small">(sold out)</span></a>' in in_large
    assert 'href="?Size=S&amp;Colour=Black">Black' not in in_large
    large_black = page(client, tee, Size="L", Colour="Black")
    assert large_black.context["product"].selected_variant.option_values == {"Size": "L", "Colour": "Black"}
    assert "L, Black: Sold out" in large_black.text
    chosen = {
        name: [choice.value for choice in choices if choice.selected]
        for name, choices in large_black.context["option_pickers"]
    }
    assert chosen == {"Size": ["L"], "Colour": ["Black"]}


def test_a_collection_cannot_be_put_under_itself_or_one_of_its_own(client):
    clothing = Collection.objects.create(name="Clothing", slug="clothing")
    shirts = Collection.objects.create(name="Shirts", slug="shirts", parent=clothing)
    tees = Collection.objects.create(name="Tees", slug="tees", parent=shirts)
    garden = Collection.objects.create(name="Garden", slug="garden")
    CollectionProduct.objects.create(collection=tees, product=shelf("Tee")[0])
    staff = Client()
    staff.force_login(factories.AdminFactory())
    url = reverse("admin:catalog_collection_change", args=[clothing.pk])
    form = {"name": "Clothing", "slug": "clothing", "position": "0", "active": "on"}

    for parent in (tees, clothing):
        refused = staff.post(url, {**form, "parent": str(parent.pk)})
        assert "Clothing cannot be inside itself or a collection within it: choose another parent." in (
            refused.text
        )

    clothing.refresh_from_db()
    assert clothing.parent is None
    assert '<a href="/collections/clothing/">Clothing</a>' in client.get("/").text
    staff.post(url, {**form, "parent": str(garden.pk)})
    clothing.refresh_from_db()
    assert clothing.parent == garden
