"""A guest buys a file to download through Stripe's page: the success page and the email link it."""

import re

from django.conf import settings
from django.core.files.base import ContentFile
from django.test import Client

from orders.models import Order, OrderStatus
from tests import factories

GUIDE_BYTES = b"%PDF-1.4\n% the brewing guide\n%%EOF\n"


def test_a_guest_who_bought_the_guide_downloads_it_from_the_email_and_the_success_page(
    stripe_sim, guest_with_cart, mailoutbox
):
    guide = factories.PriceFactory(
        product__name="Pour-Over Brewing Guide",
        product__requires_shipping=False,
        product__download=ContentFile(GUIDE_BYTES, name="guide.pdf"),
        unit_amount=900,
    )
    purchase = guest_with_cart((guide, 1))
    page_url = purchase.shopper.checkout().headers["Location"]

    paid = purchase.shopper.on_stripe_page(page_url, "pay")
    stripe_sim.wait_for_deliveries()

    assert Order.objects.get().status == OrderStatus.COMPLETED
    success = purchase.shopper.get(paid.headers["Location"]).text
    assert re.search(r'href="/orders/download/[^"]+"', success)
    [email] = mailoutbox
    link = re.search(rf"Download: {re.escape(settings.SHOP_BASE_URL)}(/\S+)", email.body).group(1)
    download = Client().get(link)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == GUIDE_BYTES
    assert download["Content-Disposition"] == 'attachment; filename="pour-over-brewing-guide.pdf"'
