from django.conf import settings


def site(request):
    """Expose the shop's name, its description and the page's canonical address to every template.

    The canonical address is on SHOP_BASE_URL, without the query string; pages may describe
    themselves better (templates/seo.html).
    """
    return {
        "site_name": settings.SITE_NAME,
        "site_description": f"{settings.SITE_NAME}: everyday goods, paid securely through Stripe and "
        "sent to your door.",
        "canonical_url": settings.SHOP_BASE_URL + request.path,
    }
