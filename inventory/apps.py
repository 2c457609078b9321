from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "Stock"

    def ready(self):
        from inventory import signals  # noqa: F401 (connects the receivers)
