"""Reads for the shop's catalog pages: a fixed number of database commands per page."""

from collections import defaultdict
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db import models
from django.db.models import Q

from catalog.models import (
    LOWEST_AMOUNT_FIELD_OF_TYPE,
    PRICE_SUMMARY_ALL,
    SYNC_ERROR_KEY,
    Collection,
    CollectionProduct,
    Price,
    PriceType,
    Product,
    ProductImage,
    Variant,
    option_key,
)
from catalog.stock import StockLevel


class PriceKind(models.TextChoices):
    ONE_TIME = "one-time", "One-time purchase"
    SUBSCRIPTION = "subscription", "Subscription"


class ProductSort(models.TextChoices):
    # The order staff gave a collection's products; only a collection's page offers it.
    FEATURED = "featured", "Featured"
    NEWEST = "newest", "Newest"
    PRICE_LOW_HIGH = "price", "Price: low to high"
    PRICE_HIGH_LOW = "-price", "Price: high to low"


PRICE_TYPE_OF_KIND = {PriceKind.ONE_TIME: PriceType.ONE_TIME, PriceKind.SUBSCRIPTION: PriceType.RECURRING}


def product_list_page(
    *,
    search: str = "",
    kind: str = "",
    sort: str = ProductSort.FEATURED,
    collection: Collection | None = None,
    page_number=1,
    per_page: int = 24,
) -> Page:
    """Return one page of products a shopper can buy, each with `lowest_price` and `listed_price_count`.

    A product is listed when it is for sale and has a price for sale (of `kind`, if given), and is
    in `collection` or one of its active descendants if a collection is given. Two database
    commands whatever the size of the catalog, a count and a slice, both on the products' price
    summary (catalog.models.product_refresh_price_summary) and its indexes; two more for a
    collection, its tree and its members. In a collection's featured order the two are the ids
    found and the page's products by id.
    """
    products, price_type = _products_listed(search=search, kind=kind)
    amount_field = LOWEST_AMOUNT_FIELD_OF_TYPE[price_type]
    positions = {}
    if collection is not None:
        memberships = _collection_memberships(collection)
        products = products.filter(pk__in={product_id for _, product_id, _ in memberships})
        positions = {
            product_id: position
            for collection_id, product_id, position in memberships
            if collection_id == collection.pk
        }
    # Newest first among equal prices, in both directions.
    ordering = {
        ProductSort.PRICE_LOW_HIGH: [amount_field],
        ProductSort.PRICE_HIGH_LOW: [f"-{amount_field}"],
    }.get(sort, [])
    products = products.order_by(*ordering, "-created_at", "-pk")
    if sort == ProductSort.FEATURED and positions:
        # The positions live on the memberships, which no index of the products can sort by (a
        # $lookup would join every member on each page): the ids found, newest first, are put in
        # the collection's order here. A collection's page reads its members' ids already, so
        # this costs a list of the ids found instead of a count, and no more commands.
        found = list(products.values_list("pk", flat=True))
        # Lower positions first, stable: the newest first among equal ones; those only in a
        # descendant collection last.
        found.sort(key=lambda pk: (pk not in positions, positions.get(pk, 0)))
        page = Paginator(found, per_page).get_page(page_number)
        by_id = Product.objects.order_by().in_bulk(list(page.object_list))
        page.object_list = [by_id[pk] for pk in page.object_list if pk in by_id]
    else:
        page = Paginator(products, per_page).get_page(page_number)
        page.object_list = list(page.object_list)
    for product in page.object_list:
        product.lowest_price, product.listed_price_count = product.listed_price(price_type)
    return page


def _products_listed(*, search: str = "", kind: str = "") -> tuple[models.QuerySet, str]:
    """Return the products listed for this search and kind, and the price type they are listed at."""
    price_type = PRICE_TYPE_OF_KIND.get(kind, PRICE_SUMMARY_ALL)
    products = Product.objects.for_sale().filter(
        **{f"{LOWEST_AMOUNT_FIELD_OF_TYPE[price_type]}__isnull": False}
    )
    for term in search.split():
        products = products.filter(Q(name__icontains=term) | Q(description__icontains=term))
    return products, price_type


def _collection_memberships(collection: Collection) -> list[tuple]:
    """Return (collection id, product id, position) of the products of `collection` and of its
    active descendants (an inactive one hides its own). Two database commands: the active
    collections' tree, small, then their memberships."""
    children = defaultdict(list)
    for pk, parent_id in _active_collection_parents().items():
        children[parent_id].append(pk)
    subtree, pending = {collection.pk}, [collection.pk]
    while pending:
        for child_id in children[pending.pop()]:
            # A loop saved before Collection.clean refused it is walked once.
            if child_id not in subtree:
                subtree.add(child_id)
                pending.append(child_id)
    memberships = CollectionProduct.objects.order_by()
    if len(subtree) == 1:
        # See docs/embedded-mongodb.md, "Query shapes and the embedded engine".
        memberships = memberships.filter(collection=collection)
    else:
        memberships = memberships.filter(collection_id__in=subtree)
    return list(memberships.values_list("collection_id", "product_id", "position"))


def _active_collection_parents() -> dict:
    """Return each active collection's parent id (None at the top) by its id: the tree, small."""
    return dict(Collection.objects.filter(active=True).order_by().values_list("pk", "parent_id"))


def collection_for_page(*, slug: str) -> Collection | None:
    """Return the collection with this slug if shoppers see it (it and its ancestors are active),
    or None."""
    collection = Collection.objects.filter(slug=slug, active=True).first()
    if collection is None or collection.parent_id is None:
        return collection
    parents = _active_collection_parents()
    seen, ancestor = {collection.pk}, collection.parent_id
    while ancestor is not None:
        # An inactive ancestor takes its descendants off the shop; a loop is in no tree.
        if ancestor not in parents or ancestor in seen:
            return None
        seen.add(ancestor)
        ancestor = parents[ancestor]
    return collection


def collections_for_navigation(*, search: str = "", kind: str = "") -> list[Collection]:
    """Return the collections shoppers see (active, under active ones), top-level ones in order,
    each with `child_list` in order and `product_count`: the products of it and of its active
    descendants, each once, that product_list_page() lists for this search and kind, i.e. what
    choosing it lists. Three database commands whatever the catalog."""
    collections = list(Collection.objects.filter(active=True).order_by("position", "name"))
    products, _ = _products_listed(search=search, kind=kind)
    products_in = defaultdict(set)
    for collection_id, product_id in (
        CollectionProduct.objects.filter(
            product_id__in=list(products.order_by().values_list("pk", flat=True))
        )
        .order_by()
        .values_list("collection_id", "product_id")
    ):
        products_in[collection_id].add(product_id)
    by_id = {collection.pk: collection for collection in collections}
    top = []
    for collection in collections:
        collection.child_list = []
    for collection in collections:
        if collection.parent_id is None:
            top.append(collection)
        elif collection.parent_id in by_id:
            by_id[collection.parent_id].child_list.append(collection)
        # Under an inactive parent: off the shop with it, so in no tree shown.

    def count(collection) -> set:
        # Collections in a loop are in no tree, so never reached from the top.
        found = set(products_in[collection.pk])
        for child in collection.child_list:
            found |= count(child)
        collection.product_count = len(found)
        return found

    for collection in top:
        count(collection)
    return top


def product_prices_for_sale(product: Product) -> list[Price]:
    """Return the product's prices for sale, cheapest first."""
    # See docs/embedded-mongodb.md, "Query shapes and the embedded engine".
    return list(Price.objects.filter(product=product).for_sale().order_by("unit_amount", "pk"))


def product_gallery(product: Product, *, variant: Variant | None = None) -> list[ProductImage]:
    """Return the pictures to show of `product` with `variant` chosen, the main one first: the
    variant's own pictures, then the product's general ones; other variants' pictures left out.
    One database command: every picture of the product, filtered here."""
    images = list(ProductImage.objects.filter(product=product).order_by("position", "pk"))
    variant_id = variant.pk if variant is not None else None
    own = [image for image in images if variant_id is not None and image.variant_id == variant_id]
    return own + [image for image in images if image.variant_id is None]


def variant_pictures(variant_ids) -> dict:
    """Return each variant's first picture by variant id, for those that have one (one database command)."""
    first = {}
    for image in ProductImage.objects.filter(variant_id__in=list(variant_ids)).order_by("position", "pk"):
        first.setdefault(image.variant_id, image)
    return first


def row_awaits_push(row: Product | Price) -> bool:
    """Return whether the row's last push to Stripe failed: Stripe may still hold its old terms."""
    return SYNC_ERROR_KEY in (row.metadata or {})


@dataclass(frozen=True)
class OptionChoice:
    """One value of one option on the product page: a link to the variant it selects, or none."""

    value: str
    query: str  # the page's query string selecting it; "" when no variant has this value
    selected: bool
    note: str = ""  # what the shopper should know: "sold out", "not in M", "not available"


def product_variants(product: Product) -> list[Variant]:
    """Return the product's variants in their order (one database command)."""
    return list(Variant.objects.filter(product=product).order_by("position", "pk"))


def variant_choose(product: Product, variants: list[Variant], wanted: dict) -> Variant | None:
    """Return the variant whose options are `wanted` (from the page's query string), else the first
    one a shopper can buy, else the first; None for a product with no variants."""
    axes = [axis["name"] for axis in product.option_axes]
    if axes:
        variants = [variant for variant in variants if variant.option_key]
        asked = {name: wanted[name] for name in axes if name in wanted}
        exact = next((variant for variant in variants if variant.option_values == asked), None)
        if exact is not None:
            return exact
    return next((variant for variant in variants if not StockLevel.of(variant).is_sold_out), None) or next(
        iter(variants), None
    )


def product_option_pickers(product: Product, variants: list[Variant], selected: Variant | None) -> list:
    """Return [(option name, [OptionChoice])] for the product's options, built from its axes.

    Each value links to the variant with that value and the selected variant's other options, sold
    out or not (its page says so and offers the back-in-stock list): a choice never changes another
    option the shopper chose while that combination exists. When it does not, the value links to
    the nearest variant that has it (the most other options in common, one for sale first) and
    says which choice that leaves, so every variant is reached by clicking, without JavaScript. A
    value no variant has is not a link.
    """
    axes = [axis["name"] for axis in product.option_axes]
    current = selected.option_values if selected is not None else {}
    with_options = [variant for variant in variants if variant.option_key]
    by_options = {variant.option_key: variant for variant in with_options}
    pickers = []
    for axis in product.option_axes:
        name, choices = axis["name"], []
        for value in axis["values"]:
            target = by_options.get(option_key({**current, name: value})) or _variant_nearest(
                with_options, current, name, value
            )
            if target is None:
                choices.append(OptionChoice(value=value, query="", selected=False, note="not available"))
                continue
            # The shopper's other choices this variant does not have ("not in M").
            left = [
                current[other]
                for other in axes
                if other != name and other in current and target.option_values.get(other) != current[other]
            ]
            notes = ["sold out"] if StockLevel.of(target).is_sold_out else []
            notes += [f"not in {', '.join(left)}"] if left else []
            choices.append(
                OptionChoice(
                    value=value,
                    query=target.option_query,
                    selected=selected is not None and target.pk == selected.pk,
                    note=", ".join(notes),
                )
            )
        pickers.append((name, choices))
    return pickers


def _variant_nearest(variants: list[Variant], current: dict, name: str, value: str) -> Variant | None:
    """Return the variant with `value` of option `name` sharing most other options with `current`,
    one for sale before a sold-out one, then in the variants' order; None if none has the value."""

    def closeness(variant):
        shared = sum(variant.option_values.get(other) == chosen for other, chosen in current.items())
        return shared, not StockLevel.of(variant).is_sold_out

    return max(
        (variant for variant in variants if variant.option_values.get(name) == value),
        key=closeness,
        default=None,
    )
