"""The shop's admin site."""

from django.conf import settings
from django.contrib import admin


class ShopAdminSite(admin.AdminSite):
    site_title = "Shop admin"
    index_title = "Run the shop"

    @property
    def site_header(self):
        return f"{settings.SITE_NAME} admin"
