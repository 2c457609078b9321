"""Keep the catalog and Stripe's products and prices in step, both ways.

Push (admin saves a product or price): the shop's row wins. Creation goes through
payments.stripe_catalog (the same idempotency keys as checkout, so both create one Stripe object);
updates carry a key made of the row and its `updated_at`, so a retried request is replayed and a new
edit is applied. A row that is inactive or soft-deleted is archived in Stripe (active=false). Stripe
prices cannot change amount, currency, interval or product: such an edit creates a new Stripe price,
stores its id on our Price and archives the old one; order items keep their own snapshots.

A push that Stripe refuses (or cannot be reached for) leaves our row saved and marks it with
`metadata["stripe_sync_error"]` (the message and when), cleared by the next successful push.

Pull (`manage.py sync_stripe`): Stripe wins for what Stripe holds. See PULL_RULES.
"""

import hashlib
import json
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
from payments.stripe_catalog import (
    catalog_price_ensure_stripe,
    catalog_product_ensure_stripe,
    price_terms,
    product_fields_from_stripe,
    stripe_price_params,
    stripe_price_terms,
)
from payments.stripe_client import stripe_client

logger = logging.getLogger(__name__)

SYNC_ERROR_KEY = "stripe_sync_error"
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


def product_push_to_stripe(*, product: Product) -> str | None:
    """Create or update the product in Stripe; return its Stripe id (None: deleted, never in Stripe).

    Raise StripeSyncFailed, with the row saved and marked, when Stripe refuses or is unreachable.
    """
    try:
        stripe_id = _push_product(product)
    except stripe.StripeError as error:
        raise _sync_failed(product, error) from error
    _clear_sync_error(product)
    return stripe_id


def price_push_to_stripe(*, price: Price) -> str | None:
    """Create, update, archive or replace the price in Stripe; return its (possibly new) Stripe id.

    Raise StripeSyncFailed, with the row saved and marked, when Stripe refuses or is unreachable.
    """
    try:
        stripe_id = _push_price(price)
    except stripe.StripeError as error:
        raise _sync_failed(price, error) from error
    _clear_sync_error(price)
    return stripe_id


# --- Push ----------------------------------------------------------------------------------


def _push_product(product: Product) -> str | None:
    wanted_active = product.active and not product.is_deleted
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
    wanted_active = price.active and not price.is_deleted
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
            params, {"idempotency_key": f"shop-price-{price.pk}-replaces-{old_id}-{_digest(params)}"}
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
        message = (
            f"it is now {price.stripe_price_id}, but {old_id} could not be archived: {_error_message(error)}"
        )
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
    return f"shop-{kind}-{row.pk}-update-{_digest({**params, '_edited': row.updated_at.isoformat()})}"


def _digest(params: dict) -> str:
    return hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _sync_failed(row, error: stripe.StripeError) -> StripeSyncFailed:
    message = _error_message(error)
    logger.warning("%s %s: push to Stripe failed: %s", type(row).__name__, row.pk, error)
    metadata = type(row).objects.filter(pk=row.pk).values_list("metadata", flat=True).first() or {}
    metadata = {**metadata, SYNC_ERROR_KEY: {"message": message, "at": timezone.now().isoformat()}}
    type(row).objects.filter(pk=row.pk).update(metadata=metadata)
    row.metadata = metadata
    return StripeSyncFailed(row, message)


def _error_message(error: stripe.StripeError) -> str:
    if isinstance(error, stripe.APIConnectionError):
        return "Stripe could not be reached (network error)."
    return error.user_message or str(error)


def _clear_sync_error(row) -> None:
    metadata = type(row).objects.filter(pk=row.pk).values_list("metadata", flat=True).first() or {}
    if SYNC_ERROR_KEY in metadata:
        metadata = {key: value for key, value in metadata.items() if key != SYNC_ERROR_KEY}
        type(row).objects.filter(pk=row.pk).update(metadata=metadata)
        row.metadata = metadata


# --- Pull ----------------------------------------------------------------------------------

CREATED, UPDATED, UNCHANGED, ARCHIVED, SKIPPED = "created", "updated", "unchanged", "archived", "skipped"
OUTCOMES = (CREATED, UPDATED, UNCHANGED, ARCHIVED, SKIPPED)


@dataclass
class PullSummary:
    """What a pull changed (or would change, in a dry run), counted per kind, with the reasons for skips."""

    dry_run: bool = False
    products: Counter = field(default_factory=Counter)
    prices: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    def line(self, kind: str) -> str:
        counts = getattr(self, kind)
        return ", ".join(f"{counts[outcome]} {outcome}" for outcome in OUTCOMES)


def _no_progress(iterable: Iterable, **options) -> Iterable:
    return iterable


def catalog_pull_from_stripe(*, dry_run: bool = False, progress: Callable | None = None) -> PullSummary:
    """Bring Stripe's products and prices into the catalog idempotently; return what changed.

    `progress(iterable, desc=..., unit=...)` wraps each loop (tqdm fits). With `dry_run` nothing is
    written and the summary says what would change. The conflict rule is PULL_RULES.
    """
    progress = progress or _no_progress
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
        return _create_row(
            Product,
            "stripe_product_id",
            Product(
                name=stripe_product["name"],
                slug=_free_slug(stripe_product["name"], stripe_id),
                description=stripe_product.get("description") or "",
                active=True,
                stripe_product_id=stripe_id,
            ),
        )
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
        new_price = _price_from_stripe(stripe_price, catalog[stripe_price["product"]])
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


def _price_from_stripe(stripe_price: dict, product: Product | None) -> Price | None:
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
        active=True,
    )


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


def row_awaits_push(row) -> bool:
    """Return whether the row's last push to Stripe failed: Stripe may still hold its old terms."""
    return SYNC_ERROR_KEY in (row.metadata or {})


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
    rows = model.objects.filter(**{f"{field_name}__isnull": False}, active=True, deleted_at__isnull=True)
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
