"""The THUMBNAIL_BACKEND: in a request, a thumbnail already made, or else the placeholder while a task
makes it; only the task itself (catalog.thumbnails.thumbnails_making) makes thumbnails."""

from django.core.cache import cache
from sorl.thumbnail import default
from sorl.thumbnail.base import ThumbnailBackend
from sorl.thumbnail.conf import defaults as sorl_defaults
from sorl.thumbnail.conf import settings as sorl_settings
from sorl.thumbnail.images import DummyImageFile, ImageFile

from catalog.tasks import product_image_thumbnails_make
from catalog.thumbnails import may_make

# A source whose thumbnails are missing is queued again at most this often.
QUEUE_AGAIN_SECONDS = 300


class ReadyThumbnailBackend(ThumbnailBackend):
    def get_thumbnail(self, file_, geometry_string, **options):
        if may_make.get() or not file_:
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
            product_image_thumbnails_make.enqueue(name=source.name)
        return DummyImageFile(geometry_string)
