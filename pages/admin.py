"""Staff edit the shop's pages; the footer and email link to each, so none is added or deleted."""

from django.contrib import admin

from pages.models import Page


@admin.register(Page)
class PageAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "updated_at"]
    fields = ["slug", "title", "body", "updated_at"]
    readonly_fields = ["slug", "updated_at"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
