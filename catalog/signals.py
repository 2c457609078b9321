"""Keep each product's price summary and card image right when its prices or images change, and the
kept catalog pages fresh when anything a shopper sees of the catalog does."""

from functools import partial

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from sorl.thumbnail import delete as thumbnail_delete

from catalog.context_processors import navigation_forget
from catalog.models import (
    PRICE_SUMMARY_SOURCE_FIELDS,
    Collection,
    CollectionProduct,
    Price,
    Product,
    ProductImage,
    ShippingRate,
    Variant,
    product_refresh_price_summary,
)
from catalog.page_cache import catalog_changed
from catalog.services import product_refresh_card_image
from catalog.tasks import product_image_thumbnails_make


@receiver(pre_save, sender=Price)
def price_remember_stored_product(sender, instance, raw, update_fields, **kwargs):
    """Note the product a price belonged to before this save: a move changes both summaries."""
    instance._stored_product_id = None
    if raw or instance._state.adding or not _changes_summary(update_fields):
        return
    instance._stored_product_id = (
        Price.objects.filter(pk=instance.pk).values_list("product_id", flat=True).first()
    )


@receiver(post_save, sender=Price)
def price_saved(sender, instance, raw, update_fields, **kwargs):
    if raw or not _changes_summary(update_fields):
        return
    product_refresh_price_summary(product_ids={instance.product_id, instance._stored_product_id})


@receiver(post_delete, sender=Price)
def price_deleted(sender, instance, **kwargs):
    product_refresh_price_summary(product_ids={instance.product_id})


@receiver(post_save, sender=ProductImage)
def product_image_saved(sender, instance, raw, **kwargs):
    if not raw:
        product_refresh_card_image(product_id=instance.product_id)
        if instance.image:
            # Made by the worker now, not by the first shopper to open the product.
            transaction.on_commit(partial(product_image_thumbnails_make.enqueue, name=instance.image.name))


@receiver(post_delete, sender=ProductImage)
def product_image_deleted(sender, instance, **kwargs):
    # The file and its thumbnails go with the row: nothing else points at them.
    if instance.image:
        thumbnail_delete(instance.image)
    product_refresh_card_image(product_id=instance.product_id)


@receiver(post_save, sender=Collection)
@receiver(post_delete, sender=Collection)
@receiver(post_save, sender=CollectionProduct)
@receiver(post_delete, sender=CollectionProduct)
def collections_changed(sender, **kwargs):
    navigation_forget()


@receiver(post_save, sender=Product)
@receiver(post_delete, sender=Product)
@receiver(post_save, sender=Price)
@receiver(post_delete, sender=Price)
@receiver(post_save, sender=ProductImage)
@receiver(post_delete, sender=ProductImage)
@receiver(post_save, sender=Variant)
@receiver(post_delete, sender=Variant)
@receiver(post_save, sender=Collection)
@receiver(post_delete, sender=Collection)
@receiver(post_save, sender=CollectionProduct)
@receiver(post_delete, sender=CollectionProduct)
@receiver(post_save, sender=ShippingRate)
@receiver(post_delete, sender=ShippingRate)
def catalog_row_changed(sender, **kwargs):
    catalog_changed()


def _changes_summary(update_fields) -> bool:
    return update_fields is None or not PRICE_SUMMARY_SOURCE_FIELDS.isdisjoint(update_fields)
