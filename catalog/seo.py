"""What search engines read of a product page: its description, picture and schema.org Product data."""

import json

from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from catalog.models import Product
from shop.money import to_major_units

# schema.org's UN/CEFACT codes of a recurring price's billing interval.
_INTERVAL_UNIT_CODES = {"day": "DAY", "week": "WEE", "month": "MON", "year": "ANN"}


def product_description(product: Product, *, site_name: str) -> str:
    """Return the product's description in one line of at most 160 characters, or a sentence naming it."""
    text = " ".join(product.description.split())
    if not text:
        return f"{product.name}, from {site_name}."
    return Truncator(text).chars(160)


def product_json_ld(
    product: Product,
    *,
    prices,
    sold_out_variant_ids: set,
    image_urls: list[str],
    url: str,
    description: str,
) -> str:
    """Return the schema.org Product of the page as JSON, safe inside <script type="application/ld+json">.

    Each offer is in stock unless the variant its price sells is sold out.
    """
    offers = []
    for price in prices:
        sold_out = price.variant_id in sold_out_variant_ids
        availability = "https://schema.org/OutOfStock" if sold_out else "https://schema.org/InStock"
        offer = {
            "@type": "Offer",
            "price": str(to_major_units(price.unit_amount, price.currency)),
            "priceCurrency": price.currency.upper(),
            "availability": availability,
            "url": url,
        }
        if price.is_recurring:
            offer["priceSpecification"] = {
                "@type": "UnitPriceSpecification",
                "price": offer["price"],
                "priceCurrency": offer["priceCurrency"],
                "billingDuration": price.recurring_interval_count,
                "unitCode": _INTERVAL_UNIT_CODES.get(price.recurring_interval, ""),
            }
        offers.append(offer)
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.name,
        "description": description,
        "url": url,
        "sku": str(product.pk),
    }
    if image_urls:
        data["image"] = image_urls
    if offers:
        data["offers"] = offers
    text = json.dumps(data, ensure_ascii=False)
    # Nothing in the data may close the script element or open a comment.
    return mark_safe(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))  # noqa: S308
