from collections import defaultdict
from collections.abc import Iterable
from urllib.parse import urlencode

from bson import ObjectId
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import IntegrityError, models
from django.urls import reverse
from django.utils import timezone

from catalog.page_cache import catalog_changed, variants_changed
from catalog.validators import PRODUCT_IMAGE_VALIDATORS, validate_option_axes, validate_stripe_unit_amount
from shop.money import format_money

# In a product's or price's metadata while its last push to Stripe failed: {"message": ..., "at": ...}.
SYNC_ERROR_KEY = "stripe_sync_error"
# Stripe refuses a product with more images than this.
STRIPE_MAX_PRODUCT_IMAGES = 8


class CatalogChangeQuerySet(models.QuerySet):
    """Writes that send no signals (update(), bulk_update(), bulk_create()) change the catalog's
    pages too: they make the kept ones stale (catalog.page_cache); saves and deletes do so through
    catalog.signals."""

    def update(self, **kwargs):
        count = super().update(**kwargs)
        if count:
            catalog_changed()
        return count

    update.alters_data = True

    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        catalog_changed()
        return created

    bulk_create.alters_data = True


class CatalogQuerySet(CatalogChangeQuerySet):
    """Shop pages read through for_sale(); admin reads everything, deleted rows included."""

    def for_sale(self):
        """Filter the rows a shopper may buy: active and not deleted (each row's `is_for_sale`)."""
        return self.filter(active=True, deleted_at__isnull=True)

    def soft_delete(self):
        return self.filter(deleted_at__isnull=True).update(
            deleted_at=timezone.now(), updated_at=timezone.now()
        )

    def restore(self):
        return self.filter(deleted_at__isnull=False).update(deleted_at=None, updated_at=timezone.now())


class VariantQuerySet(CatalogChangeQuerySet):
    """A write to variants (every stock movement is one) makes only its products' pages and the
    cart pages stale (catalog.page_cache.variants_changed): catalog and collection pages, which
    show no stock, stay kept through every checkout."""

    def update(self, **kwargs):
        product_ids = list(self.order_by().values_list("product_id", flat=True))
        count = models.QuerySet.update(self, **kwargs)
        if count > len(product_ids):
            # A row began to match between the read and the write: which product's is unknown.
            # (The shop writes variants one primary key at a time, where the two always agree.)
            catalog_changed()
        elif count:
            variants_changed(Product.objects.filter(pk__in=set(product_ids)).values_list("slug", flat=True))
        return count

    update.alters_data = True


class PriceQuerySet(CatalogQuerySet):
    """Keep the price summary of the products concerned right after writes that send no signals.

    Saves and deletes are covered by catalog.signals; update() (soft_delete(), restore(),
    bulk_update(), webhook and Stripe sync writes) and bulk_create() are covered here.
    """

    def update(self, **kwargs):
        if kwargs.keys().isdisjoint(PRICE_SUMMARY_SOURCE_FIELDS):
            return super().update(**kwargs)
        # Read before writing: the update may change which rows the filter matches.
        product_ids = set(self.order_by().values_list("product_id", flat=True))
        count = super().update(**kwargs)
        moved_to = kwargs.get("product", kwargs.get("product_id"))
        if moved_to is not None:
            product_ids.add(getattr(moved_to, "pk", moved_to))
        product_refresh_price_summary(product_ids=product_ids)
        return count

    update.alters_data = True

    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        product_refresh_price_summary(product_ids={price.product_id for price in created})
        return created

    bulk_create.alters_data = True


def download_storage():
    """Return the private storage of the files sold for download (STORAGES["downloads"])."""
    return storages["downloads"]


def _is_for_sale(row) -> bool:
    # A function as well as the models' property: migrations' historical models have no properties.
    return row.active and row.deleted_at is None


class Product(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    requires_shipping = models.BooleanField(
        default=True,
        help_text="Physical goods: checkout asks for a shipping address and a shipping rate. "
        "Untick for digital goods and services.",
    )
    # Served by no URL: only a paid order's signed download link streams it (orders.downloads).
    download = models.FileField(
        upload_to="products/",
        storage=download_storage,
        max_length=255,
        blank=True,
        help_text="A file the customer downloads once the order is paid (digital goods only). "
        "Kept private: only the links of paid orders reach it.",
    )
    stripe_product_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    # The price summary: what the catalog page filters, sorts and shows without reading any price.
    # Computed from the product's prices for sale by price_summary_fields() and written only by
    # product_refresh_price_summary() below. None: no price for sale (of that type).
    lowest_price_amount = models.PositiveIntegerField(null=True, editable=False)
    lowest_one_time_amount = models.PositiveIntegerField(null=True, editable=False)
    lowest_recurring_amount = models.PositiveIntegerField(null=True, editable=False)
    # {"ALL" | "ONE_TIME" | "RECURRING": {"count": n, "lowest": {PRICE_SNAPSHOT_FIELDS, "id"}}}
    price_summary = models.JSONField(default=dict, editable=False)
    # The storage name of the first image, for the cards of the catalog page, which read only
    # products; written only by catalog.services.product_refresh_card_image. "": no image.
    card_image = models.CharField(max_length=255, blank=True, default="", editable=False)
    # The product's options, in the order shoppers choose them: [{"name": "Size", "values": ["S", "M"]}].
    option_axes = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_option_axes],
        help_text='Options shoppers choose, e.g. [{"name": "Size", "values": ["S", "M", "L"]}]. '
        "Empty: the product is one item.",
    )
    collections = models.ManyToManyField(
        "Collection", through="CollectionProduct", related_name="products", blank=True
    )

    objects = CatalogQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        # The catalog page's filters and sorts: for sale, with a price (of a type), newest first
        # among equal prices in both directions, hence one index per direction.
        indexes = [
            models.Index(fields=["active", "deleted_at", "-created_at"], name="product_available_newest"),
            models.Index(fields=["deleted_at"], name="product_deleted_at"),
            models.Index(
                fields=["active", "deleted_at", "lowest_price_amount", "-created_at"],
                name="product_price_low_high",
            ),
            models.Index(
                fields=["active", "deleted_at", "-lowest_price_amount", "-created_at"],
                name="product_price_high_low",
            ),
            models.Index(
                fields=["active", "deleted_at", "lowest_one_time_amount", "-created_at"],
                name="product_one_time_low_high",
            ),
            models.Index(
                fields=["active", "deleted_at", "-lowest_one_time_amount", "-created_at"],
                name="product_one_time_high_low",
            ),
            models.Index(
                fields=["active", "deleted_at", "lowest_recurring_amount", "-created_at"],
                name="product_recurring_low_high",
            ),
            models.Index(
                fields=["active", "deleted_at", "-lowest_recurring_amount", "-created_at"],
                name="product_recurring_high_low",
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # A blank field in a form is None: no options.
        self.option_axes = self.option_axes or []
        if not self._state.adding and kwargs.get("update_fields") is None and not kwargs.get("force_insert"):
            # A product saved from a copy read before a price or image changed must not undo the
            # refresh of its price summary or card image made since.
            deferred = self.get_deferred_fields()
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key
                and field.name not in PRODUCT_DERIVED_FIELDS
                and field.attname not in deferred
            ]
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("catalog:product_detail", kwargs={"slug": self.slug})

    def clean(self):
        if self.download and self.requires_shipping:
            raise ValidationError(
                {
                    "download": "Only a product that ships nothing can have a file to download: "
                    "untick “Requires shipping”, or remove the file."
                },
                code="download_needs_digital_product",
            )

    @property
    def is_deleted(self):
        return self.deleted_at is not None

    is_for_sale = property(_is_for_sale, doc="Whether a shopper may buy it: active and not deleted.")

    def stripe_image_urls(self) -> list[str]:
        """Return the absolute https URLs of the product's images, in order, those of the whole
        product first (Checkout shows the first), for Stripe to fetch.

        Storage URLs that are paths are joined to SHOP_BASE_URL; with a plain-http base (development)
        there are none, since Stripe fetches only https images.
        """
        urls = []
        for image in sorted(self.images.all(), key=lambda image: image.variant_id is not None):
            url = image.image.url
            if not url.startswith(("https://", "http://")):
                url = f"{settings.SHOP_BASE_URL}/{url.lstrip('/')}"
            if url.startswith("https://"):
                urls.append(url)
        return urls[:STRIPE_MAX_PRODUCT_IMAGES]

    def listed_price(self, price_type: str = "") -> tuple["Price | None", int]:
        """Return the cheapest price for sale of `price_type` (any type if empty) and how many there are.

        The price is an unsaved copy made from the price summary; (None, 0) when there is none.
        """
        entry = self.price_summary.get(price_type or PRICE_SUMMARY_ALL)
        if not entry:
            return None, 0
        lowest = entry["lowest"]
        return Price(product=self, **{**lowest, "id": ObjectId(lowest["id"])}), entry["count"]


class ProductImage(models.Model):
    """A picture of a product, uploaded by staff to the default storage; the lowest position comes first."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(upload_to="catalog/products/", validators=PRODUCT_IMAGE_VALIDATORS)
    alt_text = models.CharField(
        "alt text",
        max_length=250,
        help_text="What the picture shows, read out to shoppers who cannot see it.",
    )
    position = models.PositiveSmallIntegerField(default=0, help_text="Lower numbers come first.")
    # A picture of one variant (e.g. the black shirt), shown first when it is chosen and hidden
    # when another one is; empty: a picture of the product, shown whichever is chosen.
    variant = models.ForeignKey(
        "Variant",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="images",
        help_text="Empty: a picture of the whole product.",
    )

    objects = CatalogChangeQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]
        indexes = [models.Index(fields=["product", "position"], name="productimage_product_position")]

    def __str__(self):
        return self.alt_text

    def clean(self):
        if self.variant_id and self.product_id and self.variant.product_id != self.product_id:
            raise ValidationError({"variant": "Choose a variant of this picture's product, or none."})


class PriceType(models.TextChoices):
    ONE_TIME = "ONE_TIME", "One-time"
    RECURRING = "RECURRING", "Recurring"


class BillingInterval(models.TextChoices):
    DAY = "day", "Day"
    WEEK = "week", "Week"
    MONTH = "month", "Month"
    YEAR = "year", "Year"


class Price(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="prices")
    # The item this price sells; stock belongs to it, however it is billed. Saving a price without
    # one gives it its product's default variant (a product with no options is one item).
    variant = models.ForeignKey(
        "Variant", null=True, blank=True, on_delete=models.RESTRICT, related_name="prices"
    )
    stripe_price_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    nickname = models.CharField(max_length=100, blank=True)
    type = models.CharField(max_length=20, choices=PriceType.choices, default=PriceType.ONE_TIME)
    unit_amount = models.PositiveIntegerField(
        help_text="In the currency's minor unit (cents).", validators=[validate_stripe_unit_amount]
    )
    currency = models.CharField(max_length=3, default="usd", help_text="ISO 4217 code, lowercase.")
    recurring_interval = models.CharField(max_length=10, choices=BillingInterval.choices, blank=True)
    recurring_interval_count = models.PositiveSmallIntegerField(default=1)
    trial_period_days = models.PositiveSmallIntegerField(null=True, blank=True)
    active = models.BooleanField(default=True)
    metadata = models.JSONField(default=dict, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PriceQuerySet.as_manager()

    class Meta:
        ordering = ["unit_amount"]
        indexes = [
            models.Index(fields=["product", "active", "deleted_at"], name="price_product_available"),
            models.Index(fields=["active"], name="price_active"),
            models.Index(fields=["deleted_at"], name="price_deleted_at"),
            models.Index(fields=["unit_amount"], name="price_unit_amount"),
        ]

    def __str__(self):
        return f"{self.product.name} — {self.label}" if self.product_id else self.label

    def save(self, *args, **kwargs):
        if self.variant_id is None and self.product_id is not None:
            self.variant = variant_default_for(product_id=self.product_id)
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "variant"}
        super().save(*args, **kwargs)

    @property
    def is_recurring(self):
        return self.type == PriceType.RECURRING

    @property
    def is_deleted(self):
        return self.deleted_at is not None

    is_for_sale = property(_is_for_sale, doc="Whether a shopper may buy it: active and not deleted.")

    @property
    def interval_label(self):
        """Return "month", "3 months" or "" for one-time prices."""
        if not self.is_recurring:
            return ""
        if self.recurring_interval_count == 1:
            return self.recurring_interval
        return f"{self.recurring_interval_count} {self.recurring_interval}s"

    @property
    def label(self):
        """Return the price as a shopper reads it: "$15.00" or "$9.00 / month"."""
        amount = format_money(self.unit_amount, self.currency)
        return f"{amount} / {self.interval_label}" if self.is_recurring else amount

    def clean(self):
        errors = {}
        self.currency = (self.currency or "").lower()
        if len(self.currency) != 3 or not self.currency.isalpha():
            errors["currency"] = "Use a three-letter ISO currency code, such as usd."
        if self.variant_id and self.product_id and self.variant.product_id != self.product_id:
            errors["variant"] = "Choose a variant of this price's product."
        if self.is_recurring and not self.recurring_interval:
            errors["recurring_interval"] = "A recurring price needs a billing interval."
        if not self.is_recurring and (self.recurring_interval or self.trial_period_days):
            errors["recurring_interval"] = "Only recurring prices have a billing interval or a trial."
        if errors:
            raise ValidationError(errors)


def option_key(option_values: dict) -> str:
    """Return the canonical text of a combination of options ("Colour=Blue|Size=M"); "" for none."""
    return "|".join(f"{name}={value}" for name, value in sorted(option_values.items()))


def item_display_name(product_name: str, options: str) -> str:
    """Return an item as the shop names it: "Organic Cotton T-Shirt (M, Black)", or the product's
    name alone for a product's one item (no `options`)."""
    return f"{product_name} ({options})" if options else product_name


class Variant(models.Model):
    """The physical item a price sells: one combination of its product's options, with its stock.

    The stock counters move only through inventory.services, each move one conditional write,
    so that available + held = on_hand and on_hand + sold = received at every moment.
    """

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    option_values = models.JSONField(
        default=dict, blank=True, help_text='One value per option of the product, e.g. {"Size": "M"}.'
    )
    # option_key(option_values): one variant per combination, the default variant's being "".
    option_key = models.CharField(max_length=255, blank=True, editable=False)
    sku = models.CharField(
        "SKU",
        max_length=64,
        unique=True,
        blank=True,
        help_text="The code on the shelf. Empty: made from the product's slug and the options.",
    )
    position = models.PositiveSmallIntegerField(default=0, help_text="Lower numbers come first.")
    track_stock = models.BooleanField(
        default=True, help_text="Count this item's stock. Untick for goods that never run out."
    )
    sell_when_out = models.BooleanField(
        "sell when out of stock",
        default=False,
        help_text="Keep selling when none are left (backorders); the orders wait for new stock.",
    )
    on_hand = models.IntegerField(default=0, editable=False, help_text="On the shelf: available and held.")
    held = models.IntegerField(default=0, editable=False, help_text="Held by open checkouts.")
    available = models.IntegerField(default=0, editable=False, help_text="On hand and not held.")
    sold = models.IntegerField(default=0, editable=False)
    received = models.IntegerField(default=0, editable=False, help_text="Every adjustment, added up.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = VariantQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["product", "option_key"], name="variant_unique_combination")
        ]
        indexes = [
            # The product page's variants, in order.
            models.Index(fields=["product", "position"], name="variant_product_position"),
            # Low stock: tracked items at or under a threshold, fewest first (equality, then range).
            models.Index(fields=["track_stock", "available"], name="variant_low_stock"),
        ]

    def __str__(self):
        return item_display_name(self.product.name if self.product_id else "", self.label)

    def save(self, *args, **kwargs):
        self.option_key = option_key(self.option_values or {})
        if not self.sku and self.product_id:
            self.sku = default_sku(self.product, self.option_values or {})
        if kwargs.get("update_fields") is None and not self._state.adding and not kwargs.get("force_insert"):
            # The stock counters move only through conditional writes; a save never rewrites them.
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in VARIANT_STOCK_FIELDS
            ]
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        """Return the product page with this variant chosen."""
        url = self.product.get_absolute_url()
        return f"{url}?{self.option_query}" if self.option_query else url

    @property
    def label(self) -> str:
        """Return the options as a shopper reads them: "M, Blue" ("" for a product's one item)."""
        return ", ".join(str(value) for value in self.option_values.values())

    @property
    def option_query(self) -> str:
        """Return the product page's query string choosing this variant ("Size=M&Colour=Blue"; "" for
        a product's one item), as catalog.selectors.variant_choose reads it."""
        return urlencode(self.option_values)

    def clean(self):
        axes = {
            axis["name"]: axis["values"] for axis in (self.product.option_axes if self.product_id else [])
        }
        values = self.option_values or {}
        if not isinstance(values, dict):
            raise ValidationError({"option_values": 'Give one value per option, e.g. {"Size": "M"}.'})
        # Before the unique (product, option_key) constraint is checked.
        self.option_key = option_key(values)
        if values and set(values) != set(axes):
            raise ValidationError(
                {
                    "option_values": "Give a value for each of the product's options: "
                    f"{', '.join(axes) or 'none'}."
                }
            )
        for name, value in values.items():
            if value not in axes[name]:
                raise ValidationError({"option_values": f"{value!r} is not one of the values of {name}."})


VARIANT_STOCK_FIELDS = frozenset({"on_hand", "held", "available", "sold", "received"})


def default_sku(product: Product, option_values: dict) -> str:
    return "-".join([product.slug, *(str(value) for value in option_values.values())]).upper()[:64]


def variant_default_for(*, product_id) -> Variant:
    """Return the product's default variant (no options), creating it, stock not tracked, if needed.

    Not tracked: a product that never counted its stock goes on selling until staff count it.
    """
    variant = Variant.objects.filter(product_id=product_id, option_key="").first()
    if variant is not None:
        return variant
    product = Product.objects.get(pk=product_id)
    try:
        return Variant.objects.create(product=product, option_values={}, track_stock=False)
    except IntegrityError:
        return Variant.objects.get(product_id=product_id, option_key="")


class Collection(models.Model):
    """A group of products shoppers browse (a category): flat, or a tree through `parent`."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    position = models.PositiveSmallIntegerField(default=0, help_text="Lower numbers come first.")
    active = models.BooleanField(
        default=True, help_text="Inactive: not shown to shoppers, nor are the collections under it."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CatalogChangeQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]
        # The navigation and filters: active collections in order.
        indexes = [models.Index(fields=["active", "position", "name"], name="collection_active_position")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("catalog:collection_detail", kwargs={"slug": self.slug})

    def clean(self):
        # A collection among its own ancestors is in no tree: it and its loop vanish from the navigation.
        ancestor_id, seen = self.parent_id, set()
        while ancestor_id is not None and ancestor_id not in seen:
            if ancestor_id == self.pk:
                message = (
                    f"{self.name} cannot be inside itself or a collection within it: choose another parent."
                )
                raise ValidationError({"parent": message})
            seen.add(ancestor_id)
            ancestor_id = (
                Collection.objects.filter(pk=ancestor_id).values_list("parent_id", flat=True).first()
            )


class CollectionProduct(models.Model):
    """A product's place in a collection; a product may be in several."""

    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="memberships")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="memberships")
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Lower numbers come first on the collection's page (sorted by Featured)."
    )

    objects = CatalogChangeQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["collection", "product"], name="collectionproduct_unique")
        ]
        # A collection's products; the count per collection reads (product) for the products for sale.
        indexes = [models.Index(fields=["product"], name="collectionproduct_product")]

    def __str__(self):
        return f"{self.product} in {self.collection}"


# --- The price summary of a product ---------------------------------------------------------

PRICE_SUMMARY_ALL = "ALL"
# What the product card shows of its cheapest price.
PRICE_SNAPSHOT_FIELDS = (
    "type",
    "unit_amount",
    "currency",
    "recurring_interval",
    "recurring_interval_count",
    "trial_period_days",
)
# A write to any of these Price fields may change its product's summary.
PRICE_SUMMARY_SOURCE_FIELDS = frozenset(
    {"product", "product_id", "active", "deleted_at", *PRICE_SNAPSHOT_FIELDS}
)
LOWEST_AMOUNT_FIELD_OF_TYPE = {
    PRICE_SUMMARY_ALL: "lowest_price_amount",
    PriceType.ONE_TIME.value: "lowest_one_time_amount",
    PriceType.RECURRING.value: "lowest_recurring_amount",
}
# Product fields computed from other rows (prices, images), which a save of the product leaves alone.
PRODUCT_DERIVED_FIELDS = frozenset({*LOWEST_AMOUNT_FIELD_OF_TYPE.values(), "price_summary", "card_image"})


def price_summary_fields(prices) -> dict:
    """Return the price summary fields of a product from its prices (only those for sale count).

    Takes any objects with Price's attributes (historical models in migrations too). Among equal
    amounts the lower id comes first, as on the product page.
    """
    for_sale = sorted(filter(_is_for_sale, prices), key=lambda price: (price.unit_amount, price.pk))
    fields = dict.fromkeys(LOWEST_AMOUNT_FIELD_OF_TYPE.values())
    summary = {}
    for price_type, amount_field in LOWEST_AMOUNT_FIELD_OF_TYPE.items():
        of_type = [price for price in for_sale if price_type in (PRICE_SUMMARY_ALL, price.type)]
        if not of_type:
            continue
        lowest = of_type[0]
        fields[amount_field] = lowest.unit_amount
        summary[price_type] = {
            "count": len(of_type),
            "lowest": {
                "id": str(lowest.pk),
                **{name: getattr(lowest, name) for name in PRICE_SNAPSHOT_FIELDS},
            },
        }
    fields["price_summary"] = summary
    return fields


def product_refresh_price_summary(*, product_ids: Iterable) -> None:
    """Recompute the price summary of these products from their prices, and store it.

    Runs after every write that may change a price's being for sale, amount, type or product
    (catalog.signals for saves and deletes, PriceQuerySet for update() and bulk_create()). Two
    database commands for one product.
    """
    product_ids = {pk for pk in product_ids if pk is not None}
    if not product_ids:
        return
    if len(product_ids) == 1:
        # See docs/embedded-mongodb.md, "Query shapes and the embedded engine".
        prices = Price.objects.filter(product_id=next(iter(product_ids)))
    else:
        prices = Price.objects.filter(product_id__in=product_ids)
    prices_by_product = defaultdict(list)
    for price in prices.order_by():
        prices_by_product[price.product_id].append(price)
    for product_id in product_ids:
        Product.objects.filter(pk=product_id).update(**price_summary_fields(prices_by_product[product_id]))


class CouponDuration(models.TextChoices):
    ONCE = "once", "Once"
    FOREVER = "forever", "Forever"
    REPEATING = "repeating", "For some months"


class Coupon(models.Model):
    """A discount, pushed to Stripe as a coupon; shoppers redeem it through its promotion codes.

    Stripe never changes a coupon's terms once created, so neither does the admin after the push.
    """

    name = models.CharField(max_length=40, help_text="Shown to the shopper on Stripe's page.")
    percent_off = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    amount_off = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="In the currency's minor unit (cents).",
        validators=[MinValueValidator(1), validate_stripe_unit_amount],
    )
    currency = models.CharField(max_length=3, blank=True, help_text="ISO 4217 code, with an amount off.")
    duration = models.CharField(max_length=10, choices=CouponDuration.choices, default=CouponDuration.ONCE)
    duration_in_months = models.PositiveSmallIntegerField(null=True, blank=True)
    active = models.BooleanField(default=True, help_text="Inactive: none of its codes can be redeemed.")
    stripe_coupon_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.terms})"

    @property
    def terms(self) -> str:
        """Return what the coupon takes off: "10% off" or "$5.00 off"."""
        if self.percent_off:
            return f"{self.percent_off}% off"
        return f"{format_money(self.amount_off or 0, self.currency or 'usd')} off"

    def clean(self):
        errors = {}
        self.currency = (self.currency or "").lower()
        if (self.percent_off is None) == (self.amount_off is None):
            errors["percent_off"] = "Enter either a percentage or an amount off, not both."
        if self.amount_off is not None and (len(self.currency) != 3 or not self.currency.isalpha()):
            errors["currency"] = "An amount off needs its three-letter currency code, such as usd."
        if self.percent_off is not None and self.currency:
            errors["currency"] = "A percentage off has no currency."
        if (self.duration == CouponDuration.REPEATING) != (self.duration_in_months is not None):
            errors["duration_in_months"] = "Enter the number of months for a repeating coupon, and only then."
        if errors:
            raise ValidationError(errors)
        _refuse_pushed_term_changes(self, "stripe_coupon_id", COUPON_TERMS)


class PromotionCode(models.Model):
    """A code a shopper types on Stripe's checkout page to get its coupon; pushed to Stripe."""

    code = models.CharField(
        max_length=40,
        unique=True,
        validators=[
            RegexValidator(r"^[A-Za-z0-9-]+$", "Use only letters, digits and dashes, as Stripe requires.")
        ],
    )
    coupon = models.ForeignKey(Coupon, on_delete=models.PROTECT, related_name="promotion_codes")
    active = models.BooleanField(default=True)
    max_redemptions = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)], help_text="Empty: no limit."
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    stripe_promotion_code_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return self.code

    @property
    def is_redeemable(self) -> bool:
        """Whether Stripe should accept the code: it and its coupon are active."""
        return self.active and self.coupon.active

    def clean(self):
        _refuse_pushed_term_changes(self, "stripe_promotion_code_id", PROMOTION_CODE_TERMS)


class ShippingRate(models.Model):
    """A way to ship physical goods at a fixed price, offered on Stripe's page; pushed to Stripe.

    Stripe never changes a rate's amount, currency, name or delivery estimate: changing one here
    creates a new Stripe rate and archives the old one (payments.shipping), as for prices.
    """

    display_name = models.CharField(max_length=100, help_text="Shown to the shopper, e.g. “Standard post”.")
    amount = models.PositiveIntegerField(
        help_text="In the currency's minor unit (cents).", validators=[validate_stripe_unit_amount]
    )
    currency = models.CharField(max_length=3, default="usd", help_text="ISO 4217 code, lowercase.")
    delivery_min_days = models.PositiveSmallIntegerField(
        "delivery from (business days)", null=True, blank=True, validators=[MinValueValidator(1)]
    )
    delivery_max_days = models.PositiveSmallIntegerField(
        "delivery up to (business days)", null=True, blank=True, validators=[MinValueValidator(1)]
    )
    active = models.BooleanField(default=True, help_text="Inactive: no longer offered at checkout.")
    stripe_shipping_rate_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    # The cart page shows the rate a subscription ships at, and is kept until the catalog changes.
    objects = CatalogChangeQuerySet.as_manager()

    class Meta:
        ordering = ["amount", "display_name"]
        indexes = [models.Index(fields=["active", "currency", "amount"], name="shippingrate_offered")]

    def __str__(self):
        return f"{self.display_name} ({format_money(self.amount, self.currency)})"

    def clean(self):
        errors = {}
        self.currency = (self.currency or "").lower()
        if len(self.currency) != 3 or not self.currency.isalpha():
            errors["currency"] = "Use a three-letter ISO currency code, such as usd."
        low, high = self.delivery_min_days, self.delivery_max_days
        if low is not None and high is not None and low > high:
            errors["delivery_max_days"] = "The longest delivery cannot be shorter than the shortest."
        if errors:
            raise ValidationError(errors)


# What Stripe never changes once it has created the coupon or code.
COUPON_TERMS = ("name", "percent_off", "amount_off", "currency", "duration", "duration_in_months")
PROMOTION_CODE_TERMS = ("code", "coupon_id", "max_redemptions", "expires_at")


def _refuse_pushed_term_changes(row, stripe_id_field: str, terms: tuple[str, ...]) -> None:
    if row.pk is None:
        return
    saved = type(row).objects.filter(pk=row.pk).values(stripe_id_field, *terms).first()
    if not saved or not saved[stripe_id_field]:
        return
    changed = [name.removesuffix("_id") for name in terms if saved[name] != getattr(row, name)]
    if changed:
        raise ValidationError(
            f"Stripe keeps the {', '.join(changed)} of a {row._meta.verbose_name} it has: "
            "create a new one instead, and make this one inactive."
        )
