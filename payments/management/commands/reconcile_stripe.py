"""Recover from Stripe what the webhook missed: undelivered or lost events, and unsettled orders."""

from datetime import timedelta

import stripe
from django.core.management.base import BaseCommand, CommandError

from payments.reconciliation import PENDING_ORDER_AGE, pending_orders_reconcile, webhook_events_recover


class Command(BaseCommand):
    help = (
        "Store and process the Stripe events the shop never received (within Stripe's 30 days), "
        "then ask Stripe about orders still awaiting payment. Safe to run often and concurrently."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would be done; write nothing."
        )
        parser.add_argument(
            "--older-than",
            type=int,
            default=int(PENDING_ORDER_AGE.total_seconds() // 60),
            metavar="MINUTES",
            help="Ask about orders pending for longer than this (default: %(default)s minutes).",
        )

    def handle(self, *args, dry_run, older_than, **options):
        if older_than < 0:
            raise CommandError("--older-than must be 0 minutes or more.")
        try:
            events = webhook_events_recover(dry_run=dry_run)
            orders = pending_orders_reconcile(older_than=timedelta(minutes=older_than), dry_run=dry_run)
        except stripe.StripeError as error:
            raise CommandError(f"Stripe did not answer: {error}") from error
        for message in events.errors + orders.errors:
            self.stderr.write(message)
        already = events.seen - events.unseen
        if dry_run:
            lines = [
                "Dry run: nothing was written.",
                f"Events: {events.seen} seen, {events.unseen} to store and process, "
                f"{already} already stored (left to retry_webhooks).",
                f"Orders awaiting payment: {orders.checked} checked, {orders.confirmed} to confirm, "
                f"{orders.cancelled} to cancel, {orders.failed} to fail, {orders.unchanged} unchanged, "
                f"{len(orders.errors)} errors.",
            ]
        else:
            lines = [
                f"Events: {events.seen} seen, {events.stored} stored, {events.processed} processed, "
                f"{events.failed} failed, {events.elsewhere} in progress elsewhere, "
                f"{events.seen - events.stored} already stored (left to retry_webhooks).",
                f"Orders awaiting payment: {orders.checked} checked, {orders.confirmed} confirmed, "
                f"{orders.cancelled} cancelled, {orders.failed} failed, {orders.unchanged} unchanged, "
                f"{len(orders.errors)} errors.",
            ]
        style = self.style.WARNING if events.failed or orders.errors else self.style.SUCCESS
        self.stdout.write(style("\n".join(lines)))
