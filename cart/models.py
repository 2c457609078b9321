import hashlib

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django_mongodb_backend.queryset import MongoQuerySet

from shop.indexes import TTLIndex


class CartStatus(models.TextChoices):
    ACTIVE = "ACTIVE", "Active"
    CHECKED_OUT = "CHECKED_OUT", "Checked out"
    EXPIRED = "EXPIRED", "Expired"


class CartQuerySet(MongoQuerySet):
    def update(self, **kwargs):
        # Every write to a cart moves its version on: its kept page (cart.views) is valid for one.
        kwargs.setdefault("version", F("version") + 1)
        return super().update(**kwargs)

    update.alters_data = True

    def active(self):
        """Return ACTIVE carts, past their expiry or not."""
        return self.filter(status=CartStatus.ACTIVE)

    def open(self):
        """Return carts a shopper may still use: ACTIVE and not past their expiry.

        MongoDB's TTL monitor removes expired carts only about once a minute, so expiry is
        also enforced here, on read.
        """
        return self.active().filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))

    def open_first(self, **match):
        """Return the first open cart whose stored fields equal `match`, or None.

        open() in MongoDB's own query language: a page with a cart reads it on every request, and
        building the ORM's query costs about three times the read itself.
        """
        now = timezone.now()
        pipeline = [
            {
                "$match": {
                    **match,
                    "status": CartStatus.ACTIVE,
                    "$or": [{"expires_at": None}, {"expires_at": {"$gt": now}}],
                }
            },
            {"$limit": 1},
        ]
        return next(iter(self.raw_aggregate(pipeline)), None)

    def unlocked(self):
        """Return carts no Checkout Session has frozen."""
        return self.filter(Q(checkout_session_id__isnull=True) | Q(checkout_session_id=""))

    def frozen_by(self, checkout_session_id: str):
        """Return ACTIVE carts frozen by this Checkout Session."""
        return self.active().filter(checkout_session_id=checkout_session_id)


class Cart(models.Model):
    """A guest cart (session_key, expires_at) or a signed-in user's cart (user, no expiry)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="carts"
    )
    session_key = models.CharField(max_length=64, null=True, blank=True)
    status = models.CharField(max_length=20, choices=CartStatus.choices, default=CartStatus.ACTIVE)
    currency = models.CharField(max_length=3, blank=True, help_text="Set by the first item; one per cart.")
    # The open Stripe Checkout Session for this cart: while set, the cart cannot change.
    checkout_session_id = models.CharField(max_length=255, null=True, blank=True)
    # The TTL index deletes the cart at this instant; None for user carts, which never expire.
    expires_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    # Counts the writes to the cart (CartQuerySet.update) and to its lines, which move it before and
    # after them (cart.services): the kept cart page is valid for one version.
    version = models.PositiveIntegerField(default=0, editable=False)

    objects = CartQuerySet.as_manager()

    class Meta:
        ordering = ["-last_activity_at"]
        indexes = [
            TTLIndex(fields=["expires_at"], name="cart_expires_at_ttl", expire_after_seconds=0),
            models.Index(fields=["status", "-last_activity_at"], name="cart_status_activity"),
        ]
        constraints = [
            # One open cart per session and per user; also guards concurrent first adds. The
            # status is part of the key so these differ from the plain indexes on the same fields.
            models.UniqueConstraint(
                fields=["session_key", "status"],
                condition=Q(status=CartStatus.ACTIVE),
                name="cart_one_active_per_session",
            ),
            models.UniqueConstraint(
                fields=["user", "status"],
                condition=Q(status=CartStatus.ACTIVE),
                name="cart_one_active_per_user",
            ),
        ]

    def __str__(self):
        owner = self.user.email if self.user_id else f"guest {self.session_fingerprint or '?'}"
        return f"Cart of {owner} ({self.get_status_display()})"

    @property
    def session_fingerprint(self):
        """Return a short hash that tells guest carts apart: the key itself would sign in as the guest."""
        if not self.session_key:
            return ""
        return hashlib.sha256(self.session_key.encode()).hexdigest()[:10]

    @property
    def is_guest(self):
        return self.user_id is None

    @property
    def is_locked(self):
        return bool(self.checkout_session_id)

    @property
    def is_expired(self):
        return self.status == CartStatus.EXPIRED or (
            self.expires_at is not None and self.expires_at <= timezone.now()
        )


class CartItem(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="cart_items")
    price = models.ForeignKey("catalog.Price", on_delete=models.CASCADE, related_name="cart_items")
    quantity = models.PositiveIntegerField(default=1)
    # A copy of the cart's expiry with its own TTL index: the TTL monitor deletes the cart and
    # its items together, since it does not cascade (cart/services.py keeps the two equal).
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            TTLIndex(fields=["expires_at"], name="cartitem_expires_at_ttl", expire_after_seconds=0),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["cart", "product", "price"], name="cartitem_unique_product_price"
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.price}"

    @property
    def line_total(self):
        return self.price.unit_amount * self.quantity
