from django.contrib import admin
from django.urls import include, path

from shop import views

urlpatterns = [
    path("", include("catalog.urls")),
    path("cart/", include("cart.urls")),
    path("orders/", include("orders.urls")),
    path("payments/", include("payments.urls")),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("", include("pages.urls")),
    path("admin/", admin.site.urls),
    path("healthz/", views.health, name="health"),
    path("favicon.ico", views.favicon),
]

handler404 = "shop.views.page_not_found"
handler500 = "shop.views.server_error"
