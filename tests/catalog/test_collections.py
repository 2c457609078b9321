"""Collections as a tree: a parent's page, the featured order staff set, and the filters' counts."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.models import Collection, CollectionProduct, Price
from catalog.selectors import product_list_page
from tests import factories

pytestmark = pytest.mark.django_db

# A collection's link in the filters, with the count it shows.
FILTER_LINK = re.compile(r'<a href="(/collections/[^"]*)"[^>]*>([^<]+) <span class="muted">\((\d+)\)</span>')
# The number of products a page lists, above them.
RESULTS = re.compile(r'<p class="muted">(\d+) products?</p>')


def product(name: str, *, amount: int = 1000, age_minutes: int = 0, recurring: bool = False):
    """A product for sale at `amount`, made `age_minutes` ago (the newest first by default)."""
    price = factories.PriceFactory(
        product__name=name,
        product__description="",
        product__created_at=timezone.now() - timedelta(minutes=age_minutes),
        unit_amount=amount,
        **({"type": "RECURRING", "recurring_interval": "month"} if recurring else {}),
    )
    return price.product


def put(collection: Collection, *products, positions=()):
    for index, item in enumerate(products):
        position = positions[index] if positions else 0
        CollectionProduct.objects.create(collection=collection, product=item, position=position)


def names(products) -> list[str]:
    return [item.name for item in products]


def listed(client, slug: str, **query) -> list[str]:
    return names(client.get(reverse("catalog:collection_detail", args=[slug]), query).context["products"])


def test_a_parent_lists_its_active_descendants_products_once_and_none_of_an_inactive_childs(client):
    clothing = Collection.objects.create(name="Clothing", slug="clothing")
    shirts = Collection.objects.create(name="T-shirts", slug="t-shirts", parent=clothing)
    tees = Collection.objects.create(name="Tees", slug="tees", parent=shirts)
    hoodies = Collection.objects.create(name="Hoodies", slug="hoodies", parent=clothing, active=False)
    zipped = Collection.objects.create(name="Zipped", slug="zipped", parent=hoodies)
    garden = Collection.objects.create(name="Garden", slug="garden")
    scarf = product("Scarf", amount=900, age_minutes=4)
    shirt = product("Shirt", amount=2500, age_minutes=3)
    tee = product("Tee", amount=1500, age_minutes=2)
    hoodie, zip_hoodie, spade = product("Hoodie"), product("Zip hoodie"), product("Spade")
    put(clothing, scarf, shirt)
    put(shirts, shirt)
    put(tees, tee)
    put(hoodies, hoodie)
    put(zipped, zip_hoodie)
    put(garden, spade)

    assert listed(client, "clothing", sort="price") == ["Scarf", "Tee", "Shirt"]
    assert listed(client, "clothing", sort="-price") == ["Shirt", "Tee", "Scarf"]
    assert listed(client, "clothing", q="tee") == ["Tee"]
    assert listed(client, "t-shirts", sort="price") == ["Tee", "Shirt"]
    pages = [
        names(product_list_page(collection=clothing, sort="price", page_number=n, per_page=2)) for n in (1, 2)
    ]
    assert pages == [["Scarf", "Tee"], ["Shirt"]]
    assert product_list_page(collection=clothing, per_page=2).paginator.count == 3
    assert "3 products" in client.get(reverse("catalog:collection_detail", args=["clothing"])).text
    assert listed(client, "garden") == ["Spade"]


def test_a_collection_under_an_inactive_one_is_hidden_with_it(client):
    # Staff take "Clothing" off the shop: its sub-collections go with it, as its page's products do.
    clothing = Collection.objects.create(name="Clothing", slug="clothing", active=False)
    shirts = Collection.objects.create(name="T-shirts", slug="t-shirts", parent=clothing)
    tees = Collection.objects.create(name="Tees", slug="tees", parent=shirts)
    garden = Collection.objects.create(name="Garden", slug="garden")
    tools = Collection.objects.create(name="Tools", slug="tools", parent=garden)
    put(tees, product("Tee"))
    put(tools, product("Spade"))

    detail = reverse("catalog:collection_detail", args=["tees"])
    assert client.get(detail).status_code == 404
    assert client.get(reverse("catalog:collection_detail", args=["t-shirts"])).status_code == 404
    home = client.get("/").text
    assert "T-shirts" not in home
    assert "Tees" not in home
    assert [name for _, name, _ in FILTER_LINK.findall(home)] == ["Garden", "Tools"]
    assert listed(client, "tools") == ["Spade"]

    Collection.objects.filter(pk=clothing.pk).update(active=True)
    assert listed(client, "tees") == ["Tee"]


def test_the_featured_order_is_the_position_staff_gave_each_product_in_that_collection(client):
    kitchen = Collection.objects.create(name="Kitchen", slug="kitchen")
    garden = Collection.objects.create(name="Garden", slug="garden", position=1)
    mug = product("Mug", amount=500, age_minutes=1)
    pot = product("Pot", amount=3000, age_minutes=2)
    kettle = product("Kettle", amount=4000, age_minutes=3)
    bowl = product("Bowl", amount=800, age_minutes=4)
    put(kitchen, mug, pot, kettle, bowl, positions=(2, 0, 1, 1))
    put(garden, mug, pot, kettle, positions=(0, 5, 1))

    page = client.get(reverse("catalog:collection_detail", args=["kitchen"]))

    # Lower positions first; the newest first among equal ones.
    assert names(page.context["products"]) == ["Pot", "Kettle", "Bowl", "Mug"]
    assert re.search(r'<select name="sort"[^>]*>\s*<option value="featured"', page.text)
    assert listed(client, "garden") == ["Mug", "Kettle", "Pot"]
    assert listed(client, "kitchen", sort="newest") == ["Mug", "Pot", "Kettle", "Bowl"]
    assert listed(client, "kitchen", sort="price") == ["Mug", "Bowl", "Pot", "Kettle"]
    assert listed(client, "kitchen", q="o") == ["Pot", "Bowl"]
    pages = [names(product_list_page(collection=kitchen, page_number=n, per_page=3)) for n in (1, 2)]
    assert pages == [["Pot", "Kettle", "Bowl"], ["Mug"]]
    # The home page has no positions: it lists the newest first, and offers no "Featured" that
    # would be "Newest" again.
    home = client.get("/")
    assert names(home.context["products"]) == ["Mug", "Pot", "Kettle", "Bowl"]
    assert re.search(r'<select name="sort"[^>]*>\s*<option value="newest"', home.text)
    assert 'value="featured"' not in home.text


def test_a_parent_features_its_own_products_in_their_order_before_those_only_in_its_children(client):
    clothing = Collection.objects.create(name="Clothing", slug="clothing")
    shirts = Collection.objects.create(name="T-shirts", slug="t-shirts", parent=clothing)
    scarf, tee, shirt = product("Scarf", age_minutes=3), product("Tee", age_minutes=2), product("Shirt")
    put(clothing, tee, scarf, positions=(1, 0))
    put(shirts, shirt, tee, positions=(0, 9))

    assert listed(client, "clothing") == ["Scarf", "Tee", "Shirt"]
    assert listed(client, "t-shirts") == ["Shirt", "Tee"]


def test_each_collections_count_in_the_filters_is_what_choosing_it_lists(client):
    clothing = Collection.objects.create(name="Clothing", slug="clothing")
    shirts = Collection.objects.create(name="T-shirts", slug="t-shirts", parent=clothing)
    hoodies = Collection.objects.create(name="Hoodies", slug="hoodies", parent=clothing, active=False)
    kitchen = Collection.objects.create(name="Kitchen", slug="kitchen", position=1)
    tee, hoodie = product("Tee"), product("Hoodie")
    tee_club = product("Tee of the month", recurring=True)
    tea_towel, mug = product("Tea towel tee print"), product("Mug")
    put(clothing, tee)
    put(shirts, tee, tee_club)
    put(hoodies, hoodie)
    put(kitchen, tea_towel, mug)

    def counts(path: str, **query) -> dict:
        shown = {}
        for href, name, count in FILTER_LINK.findall(client.get(path, query).text):
            results = client.get(href.replace("&amp;", "&")).text
            assert RESULTS.search(results)[1] == count, (name, query)
            shown[name] = int(count)
        return shown

    assert counts("/", q="tee") == {"Clothing": 2, "T-shirts": 2, "Kitchen": 1}
    assert counts("/", q="tee", kind="subscription") == {"Clothing": 1, "T-shirts": 1, "Kitchen": 0}
    assert counts("/") == {"Clothing": 2, "T-shirts": 2, "Kitchen": 2}
    assert counts(reverse("catalog:collection_detail", args=["kitchen"]), q="mug") == {
        "Clothing": 0,
        "T-shirts": 0,
        "Kitchen": 1,
    }
    # A price taken off sale changes a search's counts at once.
    Price.objects.filter(product=tee).update(active=False)
    assert counts("/", q="tee") == {"Clothing": 1, "T-shirts": 1, "Kitchen": 1}


def test_a_parents_page_and_a_search_send_as_many_database_commands_for_40_products_as_for_4(
    client, database_commands
):
    clothing = Collection.objects.create(name="Clothing", slug="clothing")
    shirts = Collection.objects.create(name="T-shirts", slug="t-shirts", parent=clothing)
    Collection.objects.create(name="Hoodies", slug="hoodies", parent=clothing)

    def commands(path, **query) -> int:
        with database_commands() as sent:
            assert client.get(path, query).status_code == 200
        return len(sent.captured_queries)

    def sizes():
        parent = reverse("catalog:collection_detail", args=["clothing"])
        return [commands(parent), commands(parent, q="item", sort="price"), commands("/", q="item")]

    put(shirts, *(product(f"Item {n}") for n in range(4)))
    client.get("/")  # reads the navigation, kept a minute in the process
    small = sizes()
    put(shirts, *(product(f"Item {n}") for n in range(4, 40)))
    client.get("/")
    large = sizes()

    assert large == small
    # The collection, the kept page's generation; the tree, its products' ids, the page's ids (or
    # a count), its products.
    assert small[0] == 6
    # The catalog page with a search: the kept page's generation; a count and a page; for the
    # filters' counts, the tree, the ids of the products found and their collections.
    assert small[2] == 6
