from django.conf import settings

# Pages of one shopper's orders, payments and subscriptions, some reached by a signed link: no
# search engine indexes them, and their address, which may hold the link's signature, is not
# repeated in the page as canonical.
PRIVATE_PATH_PREFIXES = ("/orders/", "/payments/", "/accounts/subscriptions/")


def site(request):
    """Expose the shop's name, its description and the page's canonical address to every template.

    The canonical address is on SHOP_BASE_URL, without the query string ("" on private pages);
    pages may describe themselves better (templates/seo.html).
    """
    private = request.path.startswith(PRIVATE_PATH_PREFIXES)
    return {
        "site_name": settings.SITE_NAME,
        "site_description": f"{settings.SITE_NAME}: everyday goods, paid securely through Stripe and "
        "sent to your door.",
        "canonical_url": "" if private else settings.SHOP_BASE_URL + request.path,
    }
