from django.core.exceptions import ValidationError
from django.db import models
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone

from shop.money import format_money


class CatalogQuerySet(models.QuerySet):
    """Shop pages read through available(); admin reads everything, deleted rows included."""

    def available(self):
        return self.filter(active=True, deleted_at__isnull=True)

    def soft_delete(self):
        return self.filter(deleted_at__isnull=True).update(
            deleted_at=timezone.now(), updated_at=timezone.now()
        )

    def restore(self):
        return self.filter(deleted_at__isnull=False).update(deleted_at=None, updated_at=timezone.now())


class Product(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    description = models.TextField(blank=True)
    # Static paths ("catalog/demo/mug.svg") or absolute URLs, first one is the main image.
    images = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)
    stripe_product_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CatalogQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["active", "deleted_at", "-created_at"], name="product_available_newest"),
            models.Index(fields=["deleted_at"], name="product_deleted_at"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("catalog:product_detail", kwargs={"slug": self.slug})

    @property
    def is_deleted(self):
        return self.deleted_at is not None

    @property
    def image_urls(self):
        return [image if "://" in image else static(image) for image in self.images]

    def clean(self):
        if not isinstance(self.images, list) or not all(isinstance(image, str) for image in self.images):
            raise ValidationError({"images": "Give a list of image paths or URLs."})


class PriceType(models.TextChoices):
    ONE_TIME = "ONE_TIME", "One-time"
    RECURRING = "RECURRING", "Recurring"


class BillingInterval(models.TextChoices):
    DAY = "day", "Day"
    WEEK = "week", "Week"
    MONTH = "month", "Month"
    YEAR = "year", "Year"


class Price(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="prices")
    stripe_price_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    nickname = models.CharField(max_length=100, blank=True)
    type = models.CharField(max_length=20, choices=PriceType.choices, default=PriceType.ONE_TIME)
    unit_amount = models.PositiveIntegerField(help_text="In the currency's minor unit (cents).")
    currency = models.CharField(max_length=3, default="usd", help_text="ISO 4217 code, lowercase.")
    recurring_interval = models.CharField(max_length=10, choices=BillingInterval.choices, blank=True)
    recurring_interval_count = models.PositiveSmallIntegerField(default=1)
    trial_period_days = models.PositiveSmallIntegerField(null=True, blank=True)
    active = models.BooleanField(default=True)
    metadata = models.JSONField(default=dict, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CatalogQuerySet.as_manager()

    class Meta:
        ordering = ["unit_amount"]
        indexes = [
            models.Index(fields=["product", "active", "deleted_at"], name="price_product_available"),
            models.Index(fields=["active"], name="price_active"),
            models.Index(fields=["deleted_at"], name="price_deleted_at"),
            models.Index(fields=["unit_amount"], name="price_unit_amount"),
        ]

    def __str__(self):
        return f"{self.product.name} — {self.label}" if self.product_id else self.label

    @property
    def is_recurring(self):
        return self.type == PriceType.RECURRING

    @property
    def is_deleted(self):
        return self.deleted_at is not None

    @property
    def interval_label(self):
        """Return "month", "3 months" or "" for one-time prices."""
        if not self.is_recurring:
            return ""
        if self.recurring_interval_count == 1:
            return self.recurring_interval
        return f"{self.recurring_interval_count} {self.recurring_interval}s"

    @property
    def label(self):
        """Return the price as a shopper reads it: "$15.00" or "$9.00 / month"."""
        amount = format_money(self.unit_amount, self.currency)
        return f"{amount} / {self.interval_label}" if self.is_recurring else amount

    def clean(self):
        errors = {}
        self.currency = (self.currency or "").lower()
        if len(self.currency) != 3 or not self.currency.isalpha():
            errors["currency"] = "Use a three-letter ISO currency code, such as usd."
        if self.is_recurring and not self.recurring_interval:
            errors["recurring_interval"] = "A recurring price needs a billing interval."
        if not self.is_recurring and (self.recurring_interval or self.trial_period_days):
            errors["recurring_interval"] = "Only recurring prices have a billing interval or a trial."
        if errors:
            raise ValidationError(errors)
