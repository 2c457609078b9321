"""Writes to the subscription records: Stripe's state copied in, guests' subscriptions attached,
and each reminder email recorded once it is queued."""

import contextlib
import logging
from datetime import UTC, datetime, timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import IntegrityError
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import User
from catalog.exceptions import StripeSyncFailed
from catalog.models import Price
from orders.models import Order
from shop.money import format_money
from shop.payment_gateway import payment_gateway
from shop.transactions import run_retrying
from subscriptions.exceptions import SubscriptionChangeFailed, SubscriptionNotChangeable
from subscriptions.models import Subscription, SubscriptionEmail, item_amount, same_plan
from subscriptions.plan_changes import ChangePreview, PlanChange
from subscriptions.selectors import subscription_plan_options

logger = logging.getLogger(__name__)

MAX_QUANTITY = 99
# The metadata key of the Stripe product of a subscription's recurring shipping line.
SHIPPING_METADATA_KEY = "shop_shipping_rate"
ADDRESS_FIELDS = ("line1", "line2", "city", "state", "postal_code", "country")
# A skipped renewal: collection resumes this long after it, before the next one.
SKIP_MARGIN = timedelta(hours=1)
PAUSED_PLAN_CHANGE_REFUSAL = "Resume your subscription to change its plan."
PAUSE_RESTART_REFUSED = "Choose one of the restart dates offered."


def subscription_apply_stripe(*, data: dict, read_at: datetime) -> Subscription:
    """Create or update the record of a Stripe subscription from `data`, as Stripe returned it to a
    request sent at `read_at`.

    `data` is the subscription dict of API 2026-10-28 (the period is on each item); `customer` and
    the items' `price.product` may be ids or expanded objects. Callers pass what they just read from
    Stripe, never an event's copy, so that every apply writes a state Stripe had. A copy asked for
    before the one the record holds is older: it changes nothing.
    """
    fields = _fields_from_stripe(data)
    stripe_id = data["id"]

    def upsert():
        subscription = Subscription.objects.filter(stripe_subscription_id=stripe_id).first()
        if subscription is None:
            try:
                return Subscription.objects.create(
                    stripe_subscription_id=stripe_id,
                    stripe_read_at=read_at,
                    **fields,
                    **_owner_fields(data, fields, None),
                )
            except IntegrityError:
                # A concurrent delivery created it first: update that one.
                subscription = Subscription.objects.get(stripe_subscription_id=stripe_id)
        changes = {**fields, **_owner_fields(data, fields, subscription)}
        written = (
            Subscription.objects.filter(pk=subscription.pk)
            .filter(Q(stripe_read_at=None) | Q(stripe_read_at__lte=read_at))
            .update(**changes, stripe_read_at=read_at, updated_at=timezone.now())
        )
        if not written:
            logger.info("subscription %s: a newer copy is recorded, this older one is dropped", stripe_id)
        subscription.refresh_from_db()
        return subscription

    subscription = run_retrying(upsert)
    logger.info("subscription %s applied: %s", stripe_id, subscription.status)
    return subscription


def _fields_from_stripe(data: dict) -> dict:
    items = [_item_from_stripe(item) for item in (data.get("items") or {}).get("data", [])]
    stripe_items = (data.get("items") or {}).get("data", [])
    customer = data.get("customer")
    return {
        "stripe_customer_id": (customer.get("id") if isinstance(customer, dict) else customer) or "",
        "status": data["status"],
        "items": items,
        "currency": data.get("currency") or (items[0]["currency"] if items else ""),
        # Since API 2025-03-31 each item has its own period; the shop bills one interval per
        # subscription (payments.checkout), so the items share it.
        "current_period_start": _datetime(
            min((i.get("current_period_start") or 0 for i in stripe_items), default=0)
        ),
        "current_period_end": _datetime(
            max((i.get("current_period_end") or 0 for i in stripe_items), default=0)
        ),
        "billing_cycle_anchor": _datetime(data.get("billing_cycle_anchor")),
        "trial_end": _datetime(data.get("trial_end")),
        "cancel_at_period_end": bool(data.get("cancel_at_period_end")),
        "cancel_at": _datetime(data.get("cancel_at")),
        "canceled_at": _datetime(data.get("canceled_at")),
        "ended_at": _datetime(data.get("ended_at")),
        "latest_invoice_id": _id_of(data.get("latest_invoice")),
        "pause_behavior": (data.get("pause_collection") or {}).get("behavior") or "",
        "pause_resumes_at": _datetime((data.get("pause_collection") or {}).get("resumes_at")),
    }


def _item_from_stripe(item: dict) -> dict:
    price = item.get("price") or {}
    recurring = price.get("recurring") or {}
    ours = Price.objects.filter(stripe_price_id=price.get("id")).select_related("product").first()
    product = price.get("product")
    # The product is expanded when read by payments.subscriptions; else our catalog names it.
    name = product.get("name") if isinstance(product, dict) else (ours.product.name if ours else "")
    metadata = (product.get("metadata") if isinstance(product, dict) else None) or {}
    return {
        "stripe_item_id": item.get("id") or "",
        "is_shipping": SHIPPING_METADATA_KEY in metadata,
        "product_name": name or "",
        "price_id": str(ours.pk) if ours else None,
        "stripe_price_id": price.get("id") or "",
        "unit_amount": price.get("unit_amount") or 0,
        "currency": price.get("currency") or "",
        "interval": recurring.get("interval") or "",
        "interval_count": recurring.get("interval_count") or 1,
        "quantity": item.get("quantity") or 1,
    }


def _owner_fields(data: dict, fields: dict, subscription: Subscription | None) -> dict:
    """Return the order, user and email to record: those found now, never unsetting earlier ones."""
    number = (data.get("metadata") or {}).get("order_number")
    order = Order.objects.filter(number=number).first() if number else None
    customer = data.get("customer")
    email = (customer.get("email") if isinstance(customer, dict) else "") or (
        order.customer_email if order else ""
    )
    owner = {}
    if order is not None and (subscription is None or subscription.order_id is None):
        owner["order"] = order
    if email and (subscription is None or not subscription.customer_email):
        owner["customer_email"] = email
    if subscription is None or subscription.user_id is None:
        user = _user_for(order, fields["stripe_customer_id"], email)
        if user is not None:
            owner["user"] = user
    return owner


def _user_for(order: Order | None, customer_id: str, email: str):
    if order is not None and order.user_id:
        return order.user
    if customer_id:
        user = User.objects.filter(stripe_customer_id=customer_id).first()
        if user is not None:
            return user
    if email:
        # allauth lets one account only hold an address verified: that account proved it is theirs.
        address = (
            EmailAddress.objects.filter(email=email.lower(), verified=True).select_related("user").first()
        )
        if address is not None:
            return address.user
    return None


def _datetime(timestamp) -> datetime | None:
    return datetime.fromtimestamp(timestamp, UTC) if isinstance(timestamp, int) and timestamp else None


def _id_of(value) -> str:
    if isinstance(value, dict):
        return value.get("id") or ""
    return value or ""


def subscription_cancel(*, subscription: Subscription, at_period_end: bool) -> Subscription:
    """Ask Stripe to cancel the subscription now or at its period's end; return the record as
    Stripe has it afterwards.

    Raise SubscriptionNotChangeable when it has ended (or, at period end, is ending already), and
    SubscriptionChangeFailed when Stripe refused or was unreachable: nothing changed then.
    """
    if not subscription.is_live:
        raise SubscriptionNotChangeable("This subscription has ended already.")
    if at_period_end and subscription.ends_at is not None:
        raise SubscriptionNotChangeable("This subscription is already set to end.")
    changed = payment_gateway().subscription_cancel(subscription=subscription, at_period_end=at_period_end)
    logger.info(
        "subscription %s: cancelled %s",
        subscription.stripe_subscription_id,
        "at period end" if at_period_end else "now",
    )
    return changed


def subscription_resume(*, subscription: Subscription) -> Subscription:
    """Ask Stripe to keep renewing a subscription set to end at its period's end; return the record.

    Raise SubscriptionNotChangeable when it is not ending (or has ended), SubscriptionChangeFailed
    when Stripe refused or was unreachable.
    """
    if not subscription.can_resume:
        raise SubscriptionNotChangeable("This subscription is not set to end, or has ended already.")
    changed = payment_gateway().subscription_resume(subscription=subscription)
    logger.info("subscription %s: resumed", subscription.stripe_subscription_id)
    return changed


def subscription_change_build(
    *,
    subscription: Subscription,
    stripe_item_id: str,
    price_id: str,
    quantity: int,
    proration_date: int | None = None,
) -> PlanChange:
    """Return the change of one item to the price `price_id` (ours) and `quantity`, checked: a price
    the subscriber may move to (subscriptions.selectors.subscription_plan_options) and a quantity
    from 1 to 99. A plan dearer than what this period was paid at, or a price of another interval,
    is charged now; any other from the next period, unless the merchant set
    SUBSCRIPTION_DOWNGRADES_CHARGE_NOW. `proration_date` is the moment its preview counted from
    (None for a new preview).

    Raise SubscriptionNotChangeable when the change is not one the subscriber may make: while
    paused, or charged now while the period paid at a higher plan than Stripe now bills.
    """
    if not subscription.can_change:
        raise SubscriptionNotChangeable("This subscription has ended or is set to end: it cannot be changed.")
    if not subscription.can_change_plan:
        raise SubscriptionNotChangeable(PAUSED_PLAN_CHANGE_REFUSAL)
    item = next((i for i in subscription.items if i.get("stripe_item_id") == stripe_item_id), None)
    if item is None:
        raise SubscriptionNotChangeable("This subscription has no such item.")
    price = next(
        (
            p
            for p in subscription_plan_options(subscription=subscription, item=item)
            if str(p.pk) == str(price_id)
        ),
        None,
    )
    if price is None:
        raise SubscriptionNotChangeable("That plan is not available for this subscription.")
    if not 1 <= quantity <= MAX_QUANTITY:
        raise SubscriptionNotChangeable(f"Choose a quantity from 1 to {MAX_QUANTITY}.")
    if price.stripe_price_id == item["stripe_price_id"] and quantity == item["quantity"]:
        raise SubscriptionNotChangeable("That is the plan you have already.")
    if not price.stripe_price_id:
        # A plan staff added without pushing it to Stripe yet: Stripe must know it to bill it.
        try:
            price.stripe_price_id = payment_gateway().price_push(price=price)
        except StripeSyncFailed as error:
            raise SubscriptionChangeFailed(str(error)) from error
    # Measured against what this period was paid at, which Stripe no longer bills once the plan
    # was lowered from the next period: no more than that is charged nothing, so no time is paid twice.
    paid = subscription.item_paid(stripe_item_id) or item
    lowered = not same_plan(paid, item)
    restarts_period = (price.recurring_interval, price.recurring_interval_count) != (
        item["interval"],
        item["interval_count"],
    )
    charge_now = (
        restarts_period
        or price.unit_amount * quantity > item_amount(paid)
        or (settings.SUBSCRIPTION_DOWNGRADES_CHARGE_NOW and not lowered)
    )
    if charge_now and lowered:
        # Stripe would count the rest of the period from the lower price the customer did not
        # pay, charging again for time paid at the higher one.
        renewal = date_format(subscription.current_period_end, "j F Y")
        raise SubscriptionNotChangeable(
            f"This period is paid for at {_plan_words(paid)} and your plan changes at your renewal "
            f"on {renewal}: you can choose this plan from your renewal on {renewal}, or now once you "
            f"go back to {_plan_words(paid)} (nothing to pay)."
        )
    return PlanChange(
        stripe_item_id=stripe_item_id,
        stripe_price_id=price.stripe_price_id,
        quantity=quantity,
        charge_now=charge_now,
        restarts_period=restarts_period,
        proration_date=proration_date,
        product_name=price.product.name,
        unit_amount=price.unit_amount,
        interval=price.recurring_interval,
        interval_count=price.recurring_interval_count,
        ships_goods=price.product.requires_shipping,
    )


def _plan_words(item: dict) -> str:
    """The item's plan in words: quantity, product and price per period."""
    interval = (
        item["interval"] if item["interval_count"] == 1 else f"{item['interval_count']} {item['interval']}s"
    )
    amount = format_money(item_amount(item), item["currency"])
    return f"{item['quantity']} × {item['product_name']} ({amount} / {interval})"


def subscription_change_preview(*, subscription: Subscription, change: PlanChange) -> ChangePreview:
    """Return what the change costs, as the payment provider's invoice preview says.

    Raise SubscriptionChangeFailed when the provider refused or was unreachable.
    """
    return payment_gateway().subscription_change_preview(subscription=subscription, change=change)


def subscription_change(*, subscription: Subscription, change: PlanChange) -> Subscription:
    """Make the change the customer saw previewed; return the record as Stripe has it afterwards.

    Raise SubscriptionChangeFailed when Stripe refused (a preview from a period that has ended
    since, say): nothing changed then.
    """
    changed = payment_gateway().subscription_change(subscription=subscription, change=change)
    _paid_items_record(before=subscription, after=changed, charged_now=change.charge_now)
    logger.info(
        "subscription %s: item %s now %s x %s (%s)",
        subscription.stripe_subscription_id,
        change.stripe_item_id,
        change.quantity,
        change.stripe_price_id,
        "charged now" if change.charge_now else "from the next period",
    )
    return changed


def _paid_items_record(*, before: Subscription, after: Subscription, charged_now: bool) -> None:
    """Keep what the current period was paid at once a change billed from the next period lowers
    what Stripe bills; forget it once a change charged now was paid for the rest of the period,
    or the items are back to what was paid."""
    paid = before.items_paid if before.current_period_end == after.current_period_end else after.items
    same = len(paid) == len(after.items) and all(map(same_plan, paid, after.items))
    kept = not charged_now and not same
    Subscription.objects.filter(pk=after.pk).update(
        paid_items=paid if kept else [],
        paid_period_end=after.current_period_end if kept else None,
        updated_at=timezone.now(),
    )
    after.refresh_from_db()


def subscription_pause(*, subscription: Subscription, restart_with: datetime | None) -> Subscription:
    """Pause the subscription until the renewal `restart_with`, one of its `restart_choices` (None:
    until resumed): the renewals before it are not charged and make no order, it is. Return the
    record as Stripe has it.

    Raise SubscriptionNotChangeable when it cannot be paused or `restart_with` is not a renewal it
    can restart with, SubscriptionChangeFailed when Stripe refused.
    """
    if not subscription.can_change:
        raise SubscriptionNotChangeable("This subscription has ended or is set to end: it cannot be paused.")
    resumes_at = None
    if restart_with is not None:
        choices = subscription.restart_choices()
        if restart_with not in choices:
            raise SubscriptionNotChangeable(PAUSE_RESTART_REFUSED)
        # Stripe charges the first renewal on or after `resumes_at`: just after the one before.
        before = ([subscription.current_period_end, *choices])[choices.index(restart_with)]
        resumes_at = before + SKIP_MARGIN
    changed = payment_gateway().subscription_pause(subscription=subscription, resumes_at=resumes_at)
    logger.info(
        "subscription %s: paused until %s", subscription.stripe_subscription_id, resumes_at or "resumed"
    )
    return changed


def subscription_skip_next(*, subscription: Subscription) -> Subscription:
    """Skip the next renewal only: paused until just after it, so the one after is charged."""
    if not subscription.can_change or subscription.current_period_end is None:
        raise SubscriptionNotChangeable("This subscription has ended or is set to end: nothing to skip.")
    if subscription.is_paused:
        raise SubscriptionNotChangeable("This subscription is paused already.")
    resumes_at = subscription.current_period_end + SKIP_MARGIN
    changed = payment_gateway().subscription_pause(subscription=subscription, resumes_at=resumes_at)
    logger.info("subscription %s: skips the renewal of %s", subscription.stripe_subscription_id, resumes_at)
    return changed


def subscription_unpause(*, subscription: Subscription) -> Subscription:
    """Charge and ship again from the next renewal."""
    if not subscription.is_paused:
        raise SubscriptionNotChangeable("This subscription is not paused.")
    changed = payment_gateway().subscription_unpause(subscription=subscription)
    logger.info("subscription %s: unpaused", subscription.stripe_subscription_id)
    return changed


def subscription_set_address(*, subscription: Subscription, name: str, address: dict) -> Subscription:
    """Ship the next renewal orders of the subscription to `name` at `address` (Stripe's address
    shape: line1, line2, city, state, postal_code, country)."""
    if not subscription.can_change:
        raise SubscriptionNotChangeable("This subscription has ended or is set to end.")
    address = {field: (address.get(field) or "").strip() for field in ADDRESS_FIELDS}
    Subscription.objects.filter(pk=subscription.pk).update(
        shipping_name=name.strip(), shipping_address=address, updated_at=timezone.now()
    )
    subscription.refresh_from_db()
    logger.info("subscription %s: delivery address changed", subscription.stripe_subscription_id)
    return subscription


def subscription_portal_url(*, subscription: Subscription, return_url: str) -> str:
    """Return the address of Stripe's customer portal for the subscription's customer.

    Raise SubscriptionNotChangeable when Stripe has no customer for it, SubscriptionChangeFailed
    when the portal could not be opened.
    """
    if not subscription.stripe_customer_id:
        raise SubscriptionNotChangeable("This subscription has no customer at our payment provider.")
    return payment_gateway().billing_portal_url(
        customer=subscription.stripe_customer_id, return_url=return_url
    )


def subscription_attach_guest_subscriptions(*, user, email: str) -> int:
    """Give `user` the guest subscriptions of `email`, an address `user` has proved is theirs.

    Call it only once the address is verified, as orders.services.order_attach_guest_orders.
    Return how many were attached.
    """
    email = email.strip().lower()
    if not email:
        return 0
    attached = (
        Subscription.objects.filter(user__isnull=True)
        .alias(email_key=Lower("customer_email"))
        .filter(email_key=email)
        .update(user=user, updated_at=timezone.now())
    )
    if attached:
        logger.info("%d guest subscription(s) attached to user %s", attached, user.pk)
    return attached


def subscription_email_record(
    *, subscription: Subscription, kind: str, reference: str, recipient: str
) -> None:
    """Record that the `kind` email about `reference` was queued (once: a repeat is ignored)."""
    with contextlib.suppress(IntegrityError):
        run_retrying(
            lambda: SubscriptionEmail.objects.create(
                subscription=subscription, kind=kind, reference=reference, recipient=recipient
            )
        )
