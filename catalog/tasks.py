"""The catalog's background work: the thumbnails of an uploaded picture, product pages rendered ahead."""

from django.core.files.storage import default_storage
from django.tasks import task
from sorl.thumbnail import get_thumbnail

from catalog.page_cache import catalog_changed
from catalog.product_page import product_pages_render_ahead
from catalog.thumbnails import PRODUCT_IMAGE_THUMBNAILS, thumbnails_making


@task
def product_image_thumbnails_make(*, name: str) -> int:
    """Make every thumbnail the pages show of the stored picture `name` (kept if made before);
    return how many. A picture deleted since has none."""
    if not default_storage.exists(name):
        return 0
    with thumbnails_making():
        for geometry, options in PRODUCT_IMAGE_THUMBNAILS:
            get_thumbnail(name, geometry, **options)
    # Pages kept while the thumbnails were missing show the placeholder.
    catalog_changed()
    return len(PRODUCT_IMAGE_THUMBNAILS)


@task
def product_pages_render() -> int:
    """Render the product pages not kept, or kept stale, ahead of shoppers; return how many.

    Periodic (settings.PERIODIC_TASKS): after a deploy, a catalog edit or a sale, the pages are
    ready again within a period, whoever asks first.
    """
    return product_pages_render_ahead()
