from email.utils import parseaddr

from django.conf import settings
from django.db import migrations

# First versions of the shop's pages; staff rewrite them in admin (Shop pages).
DEFAULT_PAGES = {
    "contact": (
        "Contact us",
        "Questions about an order, a product or anything else? Write to us at {email} and we answer "
        "within one working day.\n\n"
        "If it is about an order, please include its number: it is in your confirmation email and on "
        "your order page.",
    ),
    "shipping": (
        "Shipping",
        "We pack and send your order within two working days of your payment.\n\n"
        "When your parcel leaves, we email you the carrier and the tracking number. The shipping cost "
        "for your address is shown at checkout, before you pay.\n\n"
        "Something missing or damaged? Write to us at {email} and we put it right.",
    ),
    "returns": (
        "Returns and refunds",
        "You can return unused items within 30 days of delivery. Write to us at {email} with your "
        "order number and we send you the return address.\n\n"
        "Once the parcel is back, we refund the items to the card or account you paid with; your bank "
        "usually shows the refund within 5 to 10 working days. A subscription can be cancelled at any "
        "time and is not renewed after that.",
    ),
    "privacy": (
        "Privacy",
        "{shop} keeps only what it needs to sell and deliver to you: your name, email address, "
        "shipping address and your orders.\n\n"
        "Payments are handled by Stripe: we never see or store your card number. Cookies keep you "
        "signed in and remember your cart; there are no advertising or tracking cookies.\n\n"
        "We never sell your data. To see, correct or delete what we hold about you, write to us at {email}.",
    ),
    "terms": (
        "Terms of sale",
        "These terms apply to every purchase at {shop}.\n\n"
        "Prices are shown with their currency, and checkout shows the total, shipping and tax included, "
        "before you pay. Your order is accepted when the payment succeeds and we email the confirmation.\n\n"
        "If we cannot deliver an item, we tell you and refund it in full. Returns are described on our "
        "returns page. Questions: {email}.",
    ),
}


def create_default_pages(apps, schema_editor):
    Page = apps.get_model("pages", "Page")
    email = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    for slug, (title, body) in DEFAULT_PAGES.items():
        Page.objects.get_or_create(
            slug=slug, defaults={"title": title, "body": body.format(email=email, shop=settings.SITE_NAME)}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("pages", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_default_pages, migrations.RunPython.noop),
    ]
