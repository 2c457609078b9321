from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from shop import views
from shop.cache_control import private_include

urlpatterns = [
    path("", include("catalog.urls")),
    path("cart/", include("cart.urls")),
    path("orders/", private_include("orders.urls")),
    path("payments/", private_include("payments.urls")),
    path("accounts/subscriptions/", private_include("subscriptions.urls")),
    path("accounts/", private_include("accounts.urls")),
    path("accounts/", private_include("allauth.urls")),
    path("", include("pages.urls")),
    path("admin/", admin.site.urls),
    path("healthz/", views.health, name="health"),
    path("favicon.ico", views.favicon),
]
# Uploaded images in development only: production serves MEDIA_URL from its storage or web server.
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler404 = "shop.views.page_not_found"
handler500 = "shop.views.server_error"
