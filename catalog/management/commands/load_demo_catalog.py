"""Load the demo catalog: a dozen physical products and a digital one, with pictures from
catalog/demo_images/ uploaded to storage, the digital one's PDF from catalog/demo_downloads/ to the
private downloads storage, two shipping rates for the physical goods, collections, and stock: a
T-shirt in sizes and colours (one combination sold out), a mug with 2 left, a pen sold out; the
other items are not counted.

The pictures are PNG renderings of the shop's demo art (thumbnails need a format Pillow reads),
stored as staff uploads are, so the demo exercises the same storage, thumbnails and Stripe URLs.

Idempotent and keyed on the product slug (a shipping rate on its name and currency): a row already
there (whatever staff have done to it since) is left alone, so running the command again, as every
`make run` does, writes nothing.
"""

from datetime import timedelta
from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand
from django.utils import timezone
from django_mongodb_backend import transaction

from catalog.models import (
    BillingInterval,
    Collection,
    CollectionProduct,
    Price,
    PriceType,
    Product,
    ProductImage,
    ShippingRate,
    Variant,
    variant_default_for,
)
from catalog.services import product_image_create
from inventory.services import stock_adjust

DEMO_IMAGES = Path(__file__).resolve().parents[2] / "demo_images"
DEMO_DOWNLOADS = Path(__file__).resolve().parents[2] / "demo_downloads"
MONTH, YEAR = BillingInterval.MONTH, BillingInterval.YEAR


def one_time(nickname, amount, **extra):
    return {"nickname": nickname, "type": PriceType.ONE_TIME, "unit_amount": amount, **extra}


def recurring(nickname, amount, interval, **extra):
    return {
        "nickname": nickname,
        "type": PriceType.RECURRING,
        "unit_amount": amount,
        "recurring_interval": interval,
        **extra,
    }


# Newest first on the shop's home page: the list order below.
DEMO_PRODUCTS = [
    {
        "slug": "organic-cotton-t-shirt",
        "name": "Organic Cotton T-Shirt",
        "description": "Heavyweight organic cotton, boxy fit, ribbed collar. Made to last years of washing.",
        "images": [("cotton-t-shirt.png", "Navy blue cotton T-shirt, laid flat")],
        # Options a variant has: its own picture, shown when it is chosen.
        "variant_images": [
            ({"Colour": "Black"}, "cotton-t-shirt-black.png", "Black cotton T-shirt, laid flat")
        ],
        "option_axes": [
            {"name": "Size", "values": ["S", "M", "L"]},
            {"name": "Colour", "values": ["Navy", "Black"]},
        ],
        # (Size, Colour): units on hand; Large in black is sold out.
        "variants": {
            ("S", "Navy"): 8,
            ("M", "Navy"): 6,
            ("L", "Navy"): 4,
            ("S", "Black"): 5,
            ("M", "Black"): 3,
            ("L", "Black"): 0,
        },
        "prices": [one_time("", 2500)],
        "collections": ["clothing"],
    },
    {
        "slug": "house-roast-coffee",
        "collections": ["coffee-tea"],
        "name": "House Roast Coffee",
        "description": (
            "A chocolatey medium roast from small farms in Colombia and Ethiopia, roasted on Mondays and "
            "posted the same week.\n\nWhole bean, 340 g. Subscribe and a fresh bag arrives every month."
        ),
        "images": [
            ("coffee-beans.png", "Kraft bag of House Roast coffee with a green label"),
            ("coffee-beans-closeup.png", "Close-up of freshly roasted coffee beans"),
        ],
        "prices": [
            one_time("One bag", 1500),
            recurring("Monthly delivery", 1400, MONTH),
            recurring("Yearly delivery", 15000, YEAR),
        ],
    },
    {
        "slug": "sencha-loose-leaf-tea",
        "collections": ["coffee-tea"],
        "name": "Sencha Loose-Leaf Tea",
        "description": (
            "Grassy, bright Japanese green tea in a resealable tin (100 g, about 50 cups).\n\n"
            "The tea club sends a new tin every month; your first two weeks are free."
        ),
        "images": [("loose-leaf-tea.png", "Round green tin of Sencha tea with loose leaves beside it")],
        "prices": [
            one_time("One tin", 1100),
            recurring("Tea club", 900, MONTH, trial_period_days=14),
        ],
    },
    {
        "slug": "merino-sock-club",
        "collections": ["clothing"],
        "name": "Merino Sock Club",
        "description": (
            "A new pair of striped merino wool socks every month: warm in winter, cool in summer, "
            "and they do not itch. Sizes are chosen at checkout."
        ),
        "images": [("wool-socks.png", "A pair of red and navy striped merino socks")],
        "prices": [
            recurring("Monthly pair", 1200, MONTH),
            recurring("A year of socks", 12000, YEAR),
        ],
    },
    {
        "slug": "enamel-camp-mug",
        "name": "Enamel Camp Mug",
        "description": (
            "Steel mug with a chip-resistant white enamel coat and a navy rim. Holds 350 ml, "
            "survives campfires and dishwashers."
        ),
        "images": [
            ("enamel-mug.png", "White enamel camp mug with a navy rim"),
            ("enamel-mug-top.png", "The enamel mug seen from above, full of black coffee"),
        ],
        "prices": [one_time("", 1800)],
        "stock": 2,
        "collections": ["kitchen"],
    },
    {
        "slug": "canvas-tote-bag",
        "collections": ["home"],
        "name": "Canvas Tote Bag",
        "description": "Heavy organic cotton canvas with long green handles and an inside pocket.",
        "images": [("canvas-tote.png", "Natural canvas tote bag with green handles")],
        "prices": [one_time("", 2400)],
    },
    {
        "slug": "dot-grid-notebook",
        "collections": ["stationery"],
        "name": "Dot-Grid Notebook",
        "description": (
            "A5, 192 numbered pages of 100 g/m² paper that fountain pens do not bleed through. Lies flat."
        ),
        "images": [("dot-grid-notebook.png", "Open dot-grid notebook with a red ribbon bookmark")],
        "prices": [
            one_time("Single notebook", 1200),
            one_time("Pack of three", 3000),
            # Withdrawn: never shown in the shop.
            one_time("Pack of ten", 8500, active=False),
        ],
    },
    {
        "slug": "brass-fountain-pen",
        "name": "Brass Fountain Pen",
        "description": "Solid brass body that darkens with use; steel medium nib; standard ink cartridges.",
        "images": [("brass-pen.png", "Brass fountain pen")],
        "prices": [one_time("", 4500)],
        "stock": 0,
        "collections": ["stationery"],
    },
    {
        "slug": "terracotta-plant-pot",
        "collections": ["home"],
        "name": "Terracotta Plant Pot",
        "description": "Hand-thrown terracotta, 15 cm across, with drainage hole and saucer. No plant.",
        "images": [("terracotta-pot.png", "Terracotta plant pot holding a leafy green plant")],
        "prices": [one_time("", 2200)],
    },
    {
        "slug": "cedar-fig-soy-candle",
        "collections": ["home"],
        "name": "Cedar & Fig Soy Candle",
        "description": "Soy wax, cotton wick, amber glass jar. About 45 hours of burning.",
        "images": [("soy-candle.png", "Lit soy candle in an amber glass jar")],
        "prices": [
            one_time("", 1900),
            # Deleted: kept for order history, never shown in the shop.
            one_time("Gift boxed", 2600, deleted=True),
        ],
    },
    {
        "slug": "insulated-water-bottle",
        "collections": ["kitchen"],
        "name": "Insulated Water Bottle",
        "description": "Double-walled steel, 750 ml. Cold for 24 hours, hot for 12. Leak-proof cap.",
        "images": [("water-bottle.png", "Slate blue insulated steel water bottle")],
        "prices": [one_time("", 2900)],
    },
    {
        "slug": "north-ridge-art-print",
        "collections": ["home", "stationery"],
        "name": "North Ridge Art Print",
        "description": "Giclée print on 300 g/m² cotton paper, 30 × 40 cm, in a black oak frame.",
        "images": [("mountain-print.png", "Framed print of blue mountains at sunrise")],
        "prices": [one_time("", 3500)],
    },
    {
        "slug": "linen-apron",
        "collections": ["kitchen", "clothing"],
        "name": "Linen Apron",
        "description": "Washed linen in sand, adjustable neck strap, long ties and a split front pocket.",
        "images": [("linen-apron.png", "Sand-coloured linen apron with a front pocket")],
        "prices": [one_time("", 3800)],
    },
    {
        "slug": "pour-over-brewing-guide",
        "collections": ["coffee-tea"],
        "name": "Pour-Over Brewing Guide",
        "description": (
            "A 40-page illustrated guide to brewing with a pour-over cone: grind, ratios, timings and "
            "what to change when a cup tastes sour or bitter.\n\n"
            "A PDF to download after payment: nothing is posted."
        ),
        "images": [("coffee-beans-closeup.png", "Close-up of freshly roasted coffee beans")],
        # Digital: checkout asks for no address and offers no shipping; the paid order links the file.
        "requires_shipping": False,
        "download": "pour-over-brewing-guide.pdf",
        "prices": [one_time("", 900)],
    },
    {
        "slug": "speckled-ceramic-teapot",
        "name": "Speckled Ceramic Teapot",
        "description": "Out of production: inactive, so the shop never shows it.",
        "images": [("ceramic-teapot.png", "Round speckled ceramic teapot")],
        "active": False,
        "prices": [one_time("", 4200)],
    },
    {
        "slug": "wall-calendar-2025",
        "name": "Wall Calendar 2025",
        "description": "Last year's calendar: soft-deleted, hidden from the shop, restorable by staff.",
        "deleted": True,
        "prices": [one_time("", 1600)],
    },
]


# Slug, name, parent slug; in menu order.
DEMO_COLLECTIONS = [
    ("coffee-tea", "Coffee & Tea", None),
    ("home", "Home & Living", None),  # not "Home": beside "Shop" in the menu it reads as the home page
    ("kitchen", "Kitchen", "home"),
    ("clothing", "Clothing", None),
    ("stationery", "Stationery", None),
]


# Offered at checkout when the cart holds physical goods; Stripe has them from the first checkout.
DEMO_SHIPPING_RATES = [
    {"display_name": "Standard post", "amount": 495, "delivery_min_days": 3, "delivery_max_days": 5},
    {"display_name": "Express courier", "amount": 1200, "delivery_min_days": 1, "delivery_max_days": 2},
]


class Command(BaseCommand):
    help = "Load the demo catalog (idempotent: products are keyed on their slug)."

    def handle(self, *args, **options):
        slugs = [spec["slug"] for spec in DEMO_PRODUCTS]
        existing = set(Product.objects.filter(slug__in=slugs).values_list("slug", flat=True))
        now = timezone.now()
        created = prices_created = 0
        with transaction.atomic():
            collections = self._create_collections()
            for position, spec in enumerate(DEMO_PRODUCTS):
                if spec["slug"] in existing:
                    continue
                product = self._create_product(spec, created_at=now - timedelta(minutes=position))
                variants = self._create_variants(product, spec)
                prices_created += self._create_prices(product, spec["prices"], variants=variants, now=now)
                for order, slug in enumerate(spec.get("collections", [])):
                    CollectionProduct.objects.create(
                        collection=collections[slug], product=product, position=order
                    )
                created += 1
            for spec in DEMO_PRODUCTS:
                self._attach_variant_images(spec)
                self._attach_download(spec)
            rates_created = self._create_shipping_rates()
        inactive = sum(1 for spec in DEMO_PRODUCTS if not spec.get("active", True))
        deleted = sum(1 for spec in DEMO_PRODUCTS if spec.get("deleted"))
        self.stdout.write(
            f"Demo catalog: created {created} products and {prices_created} prices; "
            f"{len(existing)} products were already there. Of the {len(DEMO_PRODUCTS)} demo products "
            f"{len(DEMO_PRODUCTS) - inactive - deleted} are for sale, "
            f"{inactive} inactive and {deleted} soft-deleted. Shipping rates: created {rates_created}."
        )

    def _create_product(self, spec, *, created_at):
        product = Product(
            slug=spec["slug"],
            name=spec["name"],
            description=spec["description"],
            metadata={"demo": True},
            active=spec.get("active", True),
            requires_shipping=spec.get("requires_shipping", True),
            option_axes=spec.get("option_axes", []),
            deleted_at=created_at if spec.get("deleted") else None,
            created_at=created_at,
        )
        product.full_clean()
        product.save()
        for position, (file_name, alt_text) in enumerate(spec.get("images", [])):
            with (DEMO_IMAGES / file_name).open("rb") as picture:
                product_image_create(
                    product=product, file=File(picture, name=file_name), alt_text=alt_text, position=position
                )
        return product

    def _attach_download(self, spec):
        """Give the product its file to download unless it has one, so that a catalog loaded before
        the file existed gets it and a second run adds none."""
        if not spec.get("download"):
            return
        product = Product.objects.get(slug=spec["slug"])
        if product.download or product.requires_shipping:
            return
        with (DEMO_DOWNLOADS / spec["download"]).open("rb") as file:
            product.download.save(spec["download"], File(file), save=False)
        product.save(update_fields=["download"])

    def _attach_variant_images(self, spec):
        """Give each variant with the options its picture unless it has one with that alt text, so that
        a catalog loaded before the picture existed gets it and a second run adds none."""
        if not spec.get("variant_images"):
            return
        product = Product.objects.get(slug=spec["slug"])
        variants = list(Variant.objects.filter(product=product))
        have = set(
            ProductImage.objects.filter(product=product, variant__isnull=False).values_list(
                "variant_id", "alt_text"
            )
        )
        for options, file_name, alt_text in spec["variant_images"]:
            for variant in variants:
                if options.items() <= variant.option_values.items() and (variant.pk, alt_text) not in have:
                    with (DEMO_IMAGES / file_name).open("rb") as picture:
                        product_image_create(
                            product=product,
                            variant=variant,
                            file=File(picture, name=file_name),
                            alt_text=alt_text,
                            position=len(spec.get("images", [])),
                        )

    def _create_variants(self, product, spec) -> list[Variant]:
        """Return the product's variants: one per combination given, else its default one; with stock
        where the demo counts it."""
        axes = [axis["name"] for axis in spec.get("option_axes", [])]
        if not spec.get("variants"):
            variant = variant_default_for(product_id=product.pk)
            if "stock" in spec:
                self._stock(variant, spec["stock"])
            return [variant]
        variants = []
        for position, (values, units) in enumerate(spec["variants"].items()):
            variant = Variant(
                product=product, option_values=dict(zip(axes, values, strict=True)), position=position
            )
            variant.full_clean()
            variant.save()
            self._stock(variant, units)
            variants.append(variant)
        return variants

    def _stock(self, variant, units):
        Variant.objects.filter(pk=variant.pk).update(track_stock=True)
        if units:
            stock_adjust(variant=variant, quantity=units, reason="Demo catalog: first delivery")

    def _create_prices(self, product, price_specs, *, variants, now):
        """Create each price for each variant: a product with options sells each at the same price."""
        prices = []
        for variant in variants:
            for spec in price_specs:
                spec = dict(spec)
                deleted = spec.pop("deleted", False)
                price = Price(
                    product=product,
                    variant=variant,
                    currency="usd",
                    deleted_at=now if deleted else None,
                    **spec,
                )
                price.full_clean()
                prices.append(price)
        Price.objects.bulk_create(prices)
        return len(prices)

    def _create_collections(self) -> dict:
        collections = {}
        for position, (slug, name, parent) in enumerate(DEMO_COLLECTIONS):
            collection = Collection.objects.filter(slug=slug).first()
            if collection is None:
                collection = Collection.objects.create(
                    slug=slug, name=name, parent=collections.get(parent), position=position
                )
            collections[slug] = collection
        return collections

    def _create_shipping_rates(self):
        created = 0
        for spec in DEMO_SHIPPING_RATES:
            if ShippingRate.objects.filter(display_name=spec["display_name"], currency="usd").exists():
                continue
            rate = ShippingRate(currency="usd", metadata={"demo": True}, **spec)
            rate.full_clean()
            rate.save()
            created += 1
        return created
