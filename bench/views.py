from django.http import HttpResponse
from django.views.decorators.http import require_GET


@require_GET
def floor(request):
    """Answer a constant page: what every request costs before the shop does any work."""
    return HttpResponse("ok", content_type="text/plain")
