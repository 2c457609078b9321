"""Give back units a checkout took but never recorded a hold for (its process died in between)."""

from django.core.management.base import BaseCommand

from inventory.services import stock_reconcile_held


class Command(BaseCommand):
    help = "Make each tracked variant's held count match its open holds (safe while the shop runs)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Report, change nothing.")

    def handle(self, *args, dry_run=False, **options):
        fixed = stock_reconcile_held(dry_run=dry_run)
        for sku, held, recorded in fixed:
            self.stdout.write(f"{sku}: held {held}, open holds {recorded}{' (dry run)' if dry_run else ''}")
        self.stdout.write(f"{len(fixed)} variant(s) {'to fix' if dry_run else 'fixed'}.")
