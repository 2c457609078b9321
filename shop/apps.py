from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ShopConfig(AppConfig):
    name = "shop"
    verbose_name = "Shop"

    def ready(self):
        from shop.cache import create_cache_collections

        # Sent once per app with models (this one has none); creating the collection is idempotent.
        post_migrate.connect(create_cache_collections, dispatch_uid="shop.create_cache_collections")
