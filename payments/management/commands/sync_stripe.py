"""Pull Stripe's products, prices, coupons and promotion codes into the catalog, idempotently, and say
what changed."""

import sys
from functools import partial

import stripe
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from payments.catalog_sync import PULL_RULES, catalog_pull_from_stripe
from payments.promotions import PROMOTIONS_PULL_RULES, promotions_pull_from_stripe


class Command(BaseCommand):
    help = (
        "Pull products, prices, coupons and promotion codes from Stripe into the catalog: new ones are "
        "created, changed ones updated, nothing is duplicated however often it runs. "
        + " ".join(PULL_RULES.split())
        + " "
        + " ".join(PROMOTIONS_PULL_RULES.split())
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Read Stripe and report what would change; write nothing."
        )

    def handle(self, *args, dry_run, verbosity, **options):
        # The bar goes to the terminal only (tqdm turns itself off when stderr is not one).
        progress = partial(
            tqdm, file=sys.stderr, leave=False, unit=" objects", disable=True if not verbosity else None
        )
        try:
            summary = catalog_pull_from_stripe(dry_run=dry_run, progress=progress)
            promotions_pull_from_stripe(summary=summary, dry_run=dry_run, progress=progress)
        except stripe.StripeError as error:
            raise CommandError(f"Stripe did not answer: {error.user_message or error}") from error
        heading = "Dry run, nothing written. Would change:" if dry_run else "Synced from Stripe:"
        self.stdout.write(heading)
        self.stdout.write(f"  products: {summary.line('products')}")
        self.stdout.write(f"  prices:   {summary.line('prices')}")
        self.stdout.write(f"  coupons: {summary.line('coupons')}")
        self.stdout.write(f"  promotion codes: {summary.line('promotion_codes')}")
        if verbosity and summary.notes:
            self.stdout.write("Notes:")
            for note in summary.notes:
                self.stdout.write(f"  - {note}")
