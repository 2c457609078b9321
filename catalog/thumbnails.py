"""Product picture thumbnails, made by a task after upload and never in a shopper's request.

The task (catalog.tasks.product_image_thumbnails_make) makes every size the pages show, within
thumbnails_making(); anywhere else, catalog.thumbnail_backend returns only thumbnails made already.
"""

from contextlib import contextmanager
from contextvars import ContextVar

# Every (geometry, options) a template or the admin asks for: the task makes them all at once.
PRODUCT_IMAGE_THUMBNAILS = [
    ("400x400", {}),  # catalog cards
    ("160x160", {}),  # product page gallery choices
    ("800x800", {}),  # product page main picture
    ("192x192", {}),  # cart lines
    ("80x80", {"crop": "center"}),  # admin: a picture's preview
    ("48x48", {"crop": "center"}),  # admin: the product list
]
# True inside thumbnails_making(): the task may make what is missing.
may_make = ContextVar("thumbnails_may_make", default=False)


@contextmanager
def thumbnails_making():
    """Let get_thumbnail make the thumbnails it misses within the block (the task's)."""
    token = may_make.set(True)
    try:
        yield
    finally:
        may_make.reset(token)
