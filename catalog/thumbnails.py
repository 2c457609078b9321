"""Product picture thumbnails, made by a task after upload and never in a shopper's request.

THUMBNAIL_BACKEND names ReadyThumbnailBackend: in a request it returns a thumbnail already made,
or else queues the making and answers with the placeholder picture. The task
(catalog.tasks.product_image_thumbnails_make) makes every size the pages show.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.core.cache import cache
from sorl.thumbnail import default
from sorl.thumbnail.base import ThumbnailBackend
from sorl.thumbnail.conf import defaults as sorl_defaults
from sorl.thumbnail.conf import settings as sorl_settings
from sorl.thumbnail.images import DummyImageFile, ImageFile

# Every (geometry, options) a template or the admin asks for: the task makes them all at once.
PRODUCT_IMAGE_THUMBNAILS = [
    ("400x400", {}),  # catalog cards
    ("160x160", {}),  # product page gallery choices
    ("800x800", {}),  # product page main picture
    ("192x192", {}),  # cart lines
    ("80x80", {"crop": "center"}),  # admin
]
# A source whose thumbnails are missing is queued again at most this often.
QUEUE_AGAIN_SECONDS = 300

_may_make = ContextVar("thumbnails_may_make", default=False)


@contextmanager
def thumbnails_making():
    """Let get_thumbnail make the thumbnails it misses within the block (the task's)."""
    token = _may_make.set(True)
    try:
        yield
    finally:
        _may_make.reset(token)


class ReadyThumbnailBackend(ThumbnailBackend):
    def get_thumbnail(self, file_, geometry_string, **options):
        if _may_make.get() or not file_:
            return super().get_thumbnail(file_, geometry_string, **options)
        source = ImageFile(file_)
        # The options ThumbnailBackend.get_thumbnail completes, so that the name is the one it makes.
        if sorl_settings.THUMBNAIL_PRESERVE_FORMAT:
            options.setdefault("format", self._get_format(source))
        for key, value in self.default_options.items():
            options.setdefault(key, value)
        for key, attr in self.extra_options:
            if getattr(sorl_settings, attr) != getattr(sorl_defaults, attr):
                options.setdefault(key, getattr(sorl_settings, attr))
        thumbnail = ImageFile(self._get_thumbnail_filename(source, geometry_string, options), default.storage)
        made = default.kvstore.get(thumbnail)
        if made:
            return made
        if cache.add(f"thumbnails-queued:{source.key}", True, QUEUE_AGAIN_SECONDS):
            from catalog.tasks import product_image_thumbnails_make

            product_image_thumbnails_make.enqueue(name=source.name)
        return DummyImageFile(geometry_string)
