"""Render every product page not kept, or kept stale, ahead of shoppers (catalog.product_page).

The worker does this every few minutes (settings.PERIODIC_TASKS); run it after a deploy, whose new
release keeps none of the old pages, to have them ready before the first shopper asks.
"""

import time

from django.core.management.base import BaseCommand

from catalog.product_page import product_pages_render_ahead


class Command(BaseCommand):
    help = "Render the product pages that are not kept, ahead of shoppers."

    def handle(self, *args, **options):
        began = time.monotonic()
        rendered = product_pages_render_ahead()
        self.stdout.write(f"Rendered {rendered} product page(s) in {time.monotonic() - began:.1f} s.")
