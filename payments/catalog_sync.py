"""Keep the catalog and Stripe's products and prices in step, both ways, in one translation.

Translation, the only one between the two: product_fields_from_stripe (Stripe product -> Product),
price_from_stripe (Stripe price -> Price), stripe_price_params (Price -> Stripe price), and for
images stripe_product_images (the shop's -> Stripe's) and images_from_stripe (back).

Creation (checkout, or the first push): each Stripe object is created at most once. The request
carries an idempotency key derived from our row and what is sent, and the Stripe id is saved with a
conditional update, so two requests racing to create the same object both end up with the one Stripe
returned (or the one saved first).

Push (admin saves a product or price, through shop.payment_gateway): the shop's row wins. Updates
carry a key made of the row and its `updated_at`, so a retried request is replayed and a new edit is
applied. A row that is inactive or soft-deleted is archived in Stripe (active=false). Stripe prices
cannot change amount, currency, interval or product: such an edit creates a new Stripe price, stores
its id on our Price and archives the old one; order items keep their own snapshots.

A push that Stripe refuses (or cannot be reached for) leaves our row saved and marks it "not in sync
with Stripe" (catalog.services.catalog_row_sync_error_record), cleared by the next successful push.

Pull (`manage.py sync_stripe`): Stripe wins for what Stripe holds. See PULL_RULES. The webhook's
catalog handlers (payments.webhooks) use the same translation.
"""

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import stripe
from bson import ObjectId
from django.db import IntegrityError
from django.utils import timezone
from django.utils.text import slugify

from catalog.exceptions import StripeSyncFailed
from catalog.models import BillingInterval, Price, PriceType, Product
from catalog.selectors import row_awaits_push
from catalog.services import catalog_row_sync_error_clear, catalog_row_sync_error_record
from payments.stripe_client import (
    params_digest,
    stripe_client,
    stripe_create_for_row,
    stripe_error_message,
)

logger = logging.getLogger(__name__)

PULL_RULES = """\
Matching: a Stripe object is matched to our row by its Stripe id, else by the row id the shop put in
its metadata (product_id / price_id) when that row has no Stripe id yet; otherwise an active Stripe
product or price (of a product in the catalog) is created here; archived ones we do not have are
skipped. Stripe wins for product name, description and active, and for price nickname and active;
a row missing from Stripe is made inactive. The shop keeps slug, images (uploaded here; Stripe
holds copies of their URLs, replaced at every push), metadata, trial days and soft-deletion:
soft-deleted rows are never changed by a pull. Price amount, currency and interval are never
overwritten: a row whose terms differ from its Stripe price (an edit not pushed yet) is skipped and
reported, as is a row whose last push failed (the shop's unsent edit wins). Stripe prices that an
amount change replaced are skipped."""


# --- Translation -----------------------------------------------------------------------------


def product_fields_from_stripe(stripe_product: dict) -> dict:
    """Return the Product fields Stripe is the source of: name, description and active.

    Not images: they are uploaded in the shop, and Stripe holds copies of their URLs.
    """
    return {
        "name": stripe_product["name"],
        "description": stripe_product.get("description") or "",
        "active": stripe_product["active"],
    }


def price_from_stripe(stripe_price: dict, *, product: Product | None) -> Price | None:
    """Return an unsaved Price of `product` with the Stripe price's terms, nickname and state.

    None for a price the catalog cannot sell: no fixed per-unit amount, or an interval it does not know.
    """
    recurring = stripe_price.get("recurring") or {}
    if stripe_price.get("unit_amount") is None or (
        recurring and recurring.get("interval") not in BillingInterval.values
    ):
        return None
    return Price(
        product=product,
        stripe_price_id=stripe_price["id"],
        nickname=stripe_price.get("nickname") or "",
        type=PriceType.RECURRING if recurring else PriceType.ONE_TIME,
        unit_amount=stripe_price["unit_amount"],
        currency=stripe_price["currency"],
        recurring_interval=recurring.get("interval") or "",
        recurring_interval_count=recurring.get("interval_count") or 1,
        active=stripe_price["active"],
    )


def stripe_price_params(*, price: Price, metadata: dict) -> dict:
    """Return the parameters that create a Stripe price with the row's terms (its product first).

    A variant's prices are prices of its product in Stripe too: the item they sell is named in their
    metadata, its SKU and options ("option Size": "M"), for the dashboard and Stripe's exports. A
    product without options is one item: its prices name none.
    """
    variant = price.variant if price.variant_id else None
    if variant is not None and variant.option_values:
        options = {f"option {name}"[:40]: str(value)[:500] for name, value in variant.option_values.items()}
        metadata = {**metadata, "sku": variant.sku, **options}
    params = {
        "product": catalog_product_ensure_stripe(product=price.product),
        "unit_amount": price.unit_amount,
        "currency": price.currency,
        "metadata": metadata,
    }
    if price.is_recurring:
        params["recurring"] = {
            "interval": price.recurring_interval,
            "interval_count": price.recurring_interval_count,
        }
    if price.nickname:
        params["nickname"] = price.nickname
    return params


def price_terms(price: Price) -> tuple:
    """Return what a Stripe price can never change, as the shop's row states it: amount, currency,
    interval and interval count."""
    return (
        price.unit_amount,
        price.currency,
        price.recurring_interval if price.is_recurring else "",
        price.recurring_interval_count if price.is_recurring else 1,
    )


def stripe_price_terms(stripe_price: dict) -> tuple:
    """Return the terms of a Stripe price, comparable with price_terms()."""
    recurring = stripe_price.get("recurring") or {}
    return (
        stripe_price.get("unit_amount"),
        stripe_price["currency"],
        recurring.get("interval") or "",
        recurring.get("interval_count") or 1,
    )


# --- Creation --------------------------------------------------------------------------------


def catalog_product_ensure_stripe(*, product: Product) -> str:
    """Return the product's Stripe product id, creating the Stripe product first if there is none."""
    if product.stripe_product_id:
        return product.stripe_product_id
    params = {"name": product.name, "metadata": {"product_id": str(product.pk)}}
    if product.description:
        params["description"] = product.description
    return stripe_create_for_row(
        stripe_client().v1.products, row=product, field="stripe_product_id", kind="product", params=params
    )


def catalog_price_ensure_stripe(*, price: Price) -> str:
    """Return the price's Stripe price id, creating the Stripe product and price first if needed."""
    if price.stripe_price_id:
        return price.stripe_price_id
    params = stripe_price_params(price=price, metadata={"price_id": str(price.pk)})
    return stripe_create_for_row(
        stripe_client().v1.prices, row=price, field="stripe_price_id", kind="price", params=params
    )


# --- Push ------------------------------------------------------------------------------------


def product_push_to_stripe(*, product: Product) -> str | None:
    """Create or update the product in Stripe; return its Stripe id (None: deleted, never in Stripe).

    Raise StripeSyncFailed, with the row saved and marked, when Stripe refuses or is unreachable.
    """
    try:
        stripe_id = _push_product(product)
    except stripe.StripeError as error:
        raise _sync_failed(product, error) from error
    catalog_row_sync_error_clear(row=product)
    return stripe_id


def price_push_to_stripe(*, price: Price) -> str | None:
    """Create, update, archive or replace the price in Stripe; return its (possibly new) Stripe id.

    Raise StripeSyncFailed, with the row saved and marked, when Stripe refuses or is unreachable.
    """
    try:
        stripe_id = _push_price(price)
    except stripe.StripeError as error:
        raise _sync_failed(price, error) from error
    catalog_row_sync_error_clear(row=price)
    return stripe_id


def _push_product(product: Product) -> str | None:
    wanted_active = product.is_for_sale
    images = product.stripe_image_urls()
    created = False
    if not product.stripe_product_id:
        if product.is_deleted:
            return None
        catalog_product_ensure_stripe(product=product)
        created = True
    if created and wanted_active and not images:
        return product.stripe_product_id
    params = {
        "name": product.name,
        "description": product.description,
        "active": wanted_active,
        "metadata": {"product_id": str(product.pk)},
        # Always sent, "" clearing them: the shop's uploads are the product's images, Stripe's copy.
        "images": images or "",
    }
    stripe_client().v1.products.update(
        product.stripe_product_id, params, {"idempotency_key": _update_key("product", product, params)}
    )
    return product.stripe_product_id


def _push_price(price: Price) -> str | None:
    wanted_active = price.is_for_sale
    client = stripe_client()
    if not price.stripe_price_id:
        if price.is_deleted:
            return None
        catalog_price_ensure_stripe(price=price)
        if not wanted_active:
            _price_update(client, price, {"active": False})
        return price.stripe_price_id
    current = client.v1.prices.retrieve(price.stripe_price_id).to_dict()
    if wanted_active and _price_terms(current) != _our_price_terms(price):
        return _replace_price(client, price, old_id=current["id"])
    changes = {}
    if current["active"] != wanted_active:
        changes["active"] = wanted_active
    if (current.get("nickname") or "") != price.nickname:
        changes["nickname"] = price.nickname
    if changes:
        _price_update(client, price, changes)
    return price.stripe_price_id


def _replace_price(client, price: Price, *, old_id: str) -> str:
    """Create the Stripe price of the row's new terms, point the row at it, archive the old one.

    Each step is safe to repeat. Two gaps remain: a checkout in the instant the row has no Stripe id
    creates its own Stripe price (one of the two is kept, the other stays unused in Stripe), and if
    archiving fails the old price stays active in Stripe (the error names it, to archive by hand).
    """
    params = stripe_price_params(price=price, metadata={"price_id": str(price.pk), "replaces": old_id})
    # Unlinked first: the new price's price.created event then finds this row through its metadata
    # instead of importing the new Stripe price as a second row.
    if not Price.objects.filter(pk=price.pk, stripe_price_id=old_id).update(stripe_price_id=None):
        price.refresh_from_db()
        return price.stripe_price_id
    try:
        created = client.v1.prices.create(
            params, {"idempotency_key": f"shop-price-{price.pk}-replaces-{old_id}-{params_digest(params)}"}
        )
    except stripe.StripeError:
        Price.objects.filter(pk=price.pk, stripe_price_id__isnull=True).update(stripe_price_id=old_id)
        price.stripe_price_id = old_id
        raise
    # The price.created webhook may have linked the row already; either way it is this id.
    Price.objects.filter(pk=price.pk, stripe_price_id__isnull=True).update(stripe_price_id=created.id)
    price.stripe_price_id = Price.objects.filter(pk=price.pk).values_list("stripe_price_id", flat=True).get()
    try:
        client.v1.prices.update(
            old_id, {"active": False}, {"idempotency_key": f"shop-price-archive-{old_id}"}
        )
    except stripe.StripeError as error:
        reason = stripe_error_message(error)
        message = f"it is now {price.stripe_price_id}, but {old_id} could not be archived: {reason}"
        raise stripe.StripeError(message) from error
    logger.info("price %s: Stripe price %s replaces %s (archived)", price.pk, price.stripe_price_id, old_id)
    return price.stripe_price_id


def _price_update(client, price: Price, params: dict) -> None:
    client.v1.prices.update(
        price.stripe_price_id, params, {"idempotency_key": _update_key("price", price, params)}
    )


def _price_terms(stripe_price: dict) -> tuple:
    return (stripe_price["product"], *stripe_price_terms(stripe_price))


def _our_price_terms(price: Price) -> tuple:
    return (price.product.stripe_product_id, *price_terms(price))


def _update_key(kind: str, row, params: dict) -> str:
    # The edit's time is part of the key: the same change made again later is a new request,
    # which Stripe would otherwise answer from its record of the first one for 24 hours.
    return f"shop-{kind}-{row.pk}-update-{params_digest({**params, '_edited': row.updated_at.isoformat()})}"


def _sync_failed(row, error: stripe.StripeError) -> StripeSyncFailed:
    message = stripe_error_message(error)
    logger.warning("%s %s: push to Stripe failed: %s", type(row).__name__, row.pk, error)
    catalog_row_sync_error_record(row=row, message=message)
    return StripeSyncFailed(row, message)


# --- Pull ------------------------------------------------------------------------------------

CREATED, UPDATED, UNCHANGED, ARCHIVED, SKIPPED = "created", "updated", "unchanged", "archived", "skipped"
OUTCOMES = (CREATED, UPDATED, UNCHANGED, ARCHIVED, SKIPPED)


@dataclass
class PullSummary:
    """What a pull changed (or would change, in a dry run), counted per kind, with the reasons for skips."""

    dry_run: bool = False
    products: Counter = field(default_factory=Counter)
    prices: Counter = field(default_factory=Counter)
    # Filled by payments.promotions.promotions_pull_from_stripe.
    coupons: Counter = field(default_factory=Counter)
    promotion_codes: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    def line(self, kind: str) -> str:
        counts = getattr(self, kind)
        return ", ".join(f"{counts[outcome]} {outcome}" for outcome in OUTCOMES)


def no_progress(iterable: Iterable, **options) -> Iterable:
    return iterable


def catalog_pull_from_stripe(*, dry_run: bool = False, progress: Callable | None = None) -> PullSummary:
    """Bring Stripe's products and prices into the catalog idempotently; return what changed.

    `progress(iterable, desc=..., unit=...)` wraps each loop (tqdm fits). With `dry_run` nothing is
    written and the summary says what would change. The conflict rule is PULL_RULES.
    """
    progress = progress or no_progress
    client = stripe_client()
    summary = PullSummary(dry_run=dry_run)
    listed_products = [
        product.to_dict()
        for product in progress(
            client.v1.products.list({"limit": 100}).auto_paging_iter(), desc="Reading Stripe products"
        )
    ]
    listed_prices = [
        price.to_dict()
        for price in progress(
            client.v1.prices.list({"limit": 100}).auto_paging_iter(), desc="Reading Stripe prices"
        )
    ]
    # Stripe product id -> our product (None: would be created, in a dry run).
    catalog = {}
    for stripe_product in progress(listed_products, desc="Products"):
        outcome, product = _pull_product(stripe_product, dry_run=dry_run, notes=summary.notes)
        summary.products[outcome] += 1
        if outcome != SKIPPED:
            catalog[stripe_product["id"]] = product
    for stripe_price in progress(listed_prices, desc="Prices"):
        outcome = _pull_price(stripe_price, catalog, dry_run=dry_run, notes=summary.notes)
        summary.prices[outcome] += 1
    for model, listed, counts in (
        (Product, listed_products, summary.products),
        (Price, listed_prices, summary.prices),
    ):
        counts[ARCHIVED] += _archive_missing(
            model, {row["id"] for row in listed}, dry_run=dry_run, notes=summary.notes
        )
    return summary


def _pull_product(stripe_product: dict, *, dry_run: bool, notes: list) -> tuple[str, Product | None]:
    stripe_id = stripe_product["id"]
    product, linked = _matching_row(Product, "stripe_product_id", stripe_id, stripe_product, "product_id")
    if product is None:
        if not stripe_product["active"]:
            notes.append(f"product {stripe_id} skipped: archived in Stripe and not in the catalog")
            return SKIPPED, None
        if dry_run:
            return CREATED, None
        fields = product_fields_from_stripe(stripe_product)
        product = Product(
            **fields, slug=_free_slug(stripe_product["name"], stripe_id), stripe_product_id=stripe_id
        )
        return _create_row(Product, "stripe_product_id", product)
    if reason := _kept_by_shop(product):
        notes.append(f"product {stripe_id} ({product.name}) skipped: {reason}")
        return SKIPPED, product
    wanted = product_fields_from_stripe(stripe_product)
    link = {"stripe_product_id": stripe_id} if linked else {}
    return _apply_changes(product, wanted, link=link, dry_run=dry_run), product


def _pull_price(stripe_price: dict, catalog: dict, *, dry_run: bool, notes: list) -> str:
    stripe_id = stripe_price["id"]
    price, linked = _matching_row(Price, "stripe_price_id", stripe_id, stripe_price, "price_id")
    if price is None:
        replaced_row = _metadata_row(Price, stripe_price, "price_id")
        if replaced_row is not None:
            notes.append(f"price {stripe_id} skipped: replaced by {replaced_row.stripe_price_id}")
            return SKIPPED
        if not stripe_price["active"]:
            notes.append(f"price {stripe_id} skipped: archived in Stripe and not in the catalog")
            return SKIPPED
        if stripe_price["product"] not in catalog:
            notes.append(
                f"price {stripe_id} skipped: its product {stripe_price['product']} is not in the catalog"
            )
            return SKIPPED
        new_price = price_from_stripe(stripe_price, product=catalog[stripe_price["product"]])
        if new_price is None:
            notes.append(f"price {stripe_id} skipped: not a fixed per-unit amount with a known interval")
            return SKIPPED
        if dry_run:
            return CREATED
        new_price.full_clean(validate_unique=False, validate_constraints=False)
        return _create_row(Price, "stripe_price_id", new_price)[0]
    if reason := _kept_by_shop(price):
        notes.append(f"price {stripe_id} ({price}) skipped: {reason}")
        return SKIPPED
    if _price_terms(stripe_price)[1:] != _our_price_terms(price)[1:]:
        notes.append(
            f"price {stripe_id} ({price}) skipped: its amount, currency or interval differ from Stripe's; "
            "save it in admin to push a new Stripe price"
        )
        return SKIPPED
    wanted = {"nickname": stripe_price.get("nickname") or "", "active": stripe_price["active"]}
    link = {"stripe_price_id": stripe_id} if linked else {}
    return _apply_changes(price, wanted, link=link, dry_run=dry_run)


def _matching_row(model, field_name: str, stripe_id: str, stripe_object: dict, metadata_key: str):
    """Return (row, linked): our row of this Stripe object, and whether it is only matched by metadata."""
    row = model.objects.filter(**{field_name: stripe_id}).first()
    if row is not None:
        return row, False
    row = _metadata_row(model, stripe_object, metadata_key)
    if row is not None and not getattr(row, field_name):
        return row, True
    return None, False


def _metadata_row(model, stripe_object: dict, metadata_key: str):
    """Return the row the shop named in the object's metadata, if it still exists."""
    pk = (stripe_object.get("metadata") or {}).get(metadata_key)
    # Metadata typed in Stripe's dashboard may be anything.
    if not pk or not ObjectId.is_valid(pk):
        return None
    return model.objects.filter(pk=ObjectId(pk)).first()


def _kept_by_shop(row) -> str:
    if row.is_deleted:
        return "soft-deleted in the shop"
    if row_awaits_push(row):
        return "its last push to Stripe failed; save it in admin to push the shop's version"
    return ""


def _apply_changes(row, wanted: dict, *, link: dict, dry_run: bool) -> str:
    """Write what differs from `wanted`, and `link` (the Stripe id of a row matched by metadata)."""
    changes = {name: value for name, value in wanted.items() if getattr(row, name) != value} | link
    if not changes:
        return UNCHANGED
    outcome = ARCHIVED if changes.get("active") is False else UPDATED
    if dry_run:
        return outcome
    # Linked only while still unlinked: the object's own webhook may link it meanwhile, to the same id.
    unlinked = {f"{name}__isnull": True for name in link}
    type(row).objects.filter(pk=row.pk, **unlinked).update(**changes, updated_at=timezone.now())
    for name, value in changes.items():
        setattr(row, name, value)
    return outcome


def _create_row(model, field_name: str, row):
    try:
        row.save(force_insert=True)
    except IntegrityError:
        # Created meanwhile by the object's own webhook: the unique Stripe id keeps one row.
        existing = model.objects.filter(**{field_name: getattr(row, field_name)}).first()
        if existing is None:
            raise
        return UNCHANGED, existing
    return CREATED, row


def _free_slug(name: str, stripe_id: str) -> str:
    slug = slugify(name)[:200] or "product"
    if Product.objects.filter(slug=slug).exists():
        slug = f"{slug}-{slugify(stripe_id[-8:])}"
    return slug


def _archive_missing(model, listed_ids: set, *, dry_run: bool, notes: list) -> int:
    """Make inactive our active rows whose Stripe object no longer exists; return how many."""
    field_name = "stripe_product_id" if model is Product else "stripe_price_id"
    rows = model.objects.for_sale().filter(**{f"{field_name}__isnull": False})
    if model is Price:
        rows = rows.select_related("product")
    missing = [row for row in rows if getattr(row, field_name) not in listed_ids and not _kept_by_shop(row)]
    for row in missing:
        notes.append(
            f"{model._meta.verbose_name} {getattr(row, field_name)} ({row}) archived: no longer in Stripe"
        )
        if not dry_run:
            model.objects.filter(pk=row.pk, active=True).update(active=False, updated_at=timezone.now())
    return len(missing)
