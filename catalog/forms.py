from django import forms
from django.core.exceptions import ValidationError

from catalog.models import Coupon, Price, ShippingRate
from catalog.selectors import PriceKind, ProductSort
from catalog.validators import STRIPE_MAX_UNIT_AMOUNT
from shop.forms import MoneyAmountField
from shop.money import format_money, minor_units_from_text, to_major_units

# What a shopper pays for a price; changing any of these on a price on sale is confirmed first.
PRICE_TERMS = ("type", "unit_amount", "currency", "recurring_interval", "recurring_interval_count")


class ProductFilterForm(forms.Form):
    """Search, filter and sort the product list; invalid values fall back to the defaults."""

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        widget=forms.SearchInput(attrs={"placeholder": "Mugs, coffee, socks…"}),
        error_messages={
            "max_length": "Searches are at most %(limit_value)d characters long (this one has "
            "%(show_value)d): shorten it and search again."
        },
    )
    kind = forms.ChoiceField(label="Type", required=False, choices=[("", "All products"), *PriceKind.choices])
    sort = forms.ChoiceField(label="Sort by", required=False, choices=ProductSort.choices)

    def __init__(self, *args, collection=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.default_sort = ProductSort.FEATURED
        if collection is None:
            # Only a collection has an order of its own: elsewhere "Featured" would be "Newest" again.
            self.default_sort = ProductSort.NEWEST
            self.fields["sort"].choices = [
                choice for choice in ProductSort.choices if choice[0] != ProductSort.FEATURED
            ]

    @property
    def search_refused(self) -> bool:
        """Whether the search typed could not be run (too long): the page says so and lists nothing."""
        return self.is_bound and "q" in self.errors

    def filters(self):
        """Return the keyword arguments of catalog.selectors.product_list_page for this query."""
        cleaned = self.cleaned_data if self.is_valid() else getattr(self, "cleaned_data", {})
        return {
            "search": cleaned.get("q") or "",
            "kind": cleaned.get("kind") or "",
            "sort": cleaned.get("sort") or self.default_sort,
        }


class PriceAdminForm(forms.ModelForm):
    """A price as staff enter it: the amount in major units, confirmed when shoppers would pay it at once."""

    unit_amount = MoneyAmountField(
        label="Amount",
        help_text="In the currency's units, as shoppers read it: 32.00 for $32.00, 500 for ¥500.",
        preview="{amount}",
    )
    confirm_live = forms.BooleanField(
        label="Confirm the price on sale",
        required=False,
        help_text="Needed to create, change the amount or billing of, or put back on sale a price that "
        "is on sale in the shop.",
    )

    class Meta:
        model = Price
        fields = [
            "product",
            "variant",
            "nickname",
            "type",
            "unit_amount",
            "currency",
            "recurring_interval",
            "recurring_interval_count",
            "trial_period_days",
            "active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial["unit_amount"] = str(
                to_major_units(self.instance.unit_amount, self.instance.currency)
            )

    def clean(self):
        cleaned = super().clean()
        typed, currency = cleaned.get("unit_amount"), cleaned.get("currency")
        if currency:
            cleaned["currency"] = currency = currency.lower()
        if typed is not None and currency:
            try:
                cleaned["unit_amount"] = amount = minor_units_from_text(typed, currency)
                if amount > STRIPE_MAX_UNIT_AMOUNT:
                    raise ValidationError(
                        "Enter at most %(largest)s: Stripe does not take larger prices.",
                        code="max_value",
                        params={"largest": format_money(STRIPE_MAX_UNIT_AMOUNT, currency)},
                    )
            except ValidationError as error:
                self.add_error("unit_amount", error)
                return cleaned
        if self._goes_on_sale(cleaned) and not cleaned.get("confirm_live"):
            self.add_error(
                "confirm_live",
                ValidationError(
                    "Shoppers will pay %(label)s as soon as this is saved. Check the amount, then tick "
                    "“Confirm the price on sale”.",
                    code="confirm_live",
                    params={"label": self._label(cleaned)},
                ),
            )
        return cleaned

    def _goes_on_sale(self, cleaned) -> bool:
        """Return True when saving makes shoppers pay something new: a price on sale, new or changed."""
        product = cleaned.get("product") or getattr(self.instance, "product", None)
        on_sale = (
            cleaned.get("active")
            and self.instance.deleted_at is None
            and product is not None
            and product.active
            and product.deleted_at is None
        )
        if not on_sale or not isinstance(cleaned.get("unit_amount"), int):
            return False
        if self.instance.pk is None or not self.instance.active:
            return True
        return any(
            cleaned.get(name) != getattr(self.instance, name) for name in PRICE_TERMS if name in self.fields
        )

    def _label(self, cleaned) -> str:
        # An unsaved copy reads as the saved price will.
        terms = {name: cleaned.get(name, getattr(self.instance, name)) for name in PRICE_TERMS}
        return Price(**terms).label


class ShippingRateAdminForm(forms.ModelForm):
    """A shipping rate as staff enter it: the amount in major units of its currency."""

    amount = MoneyAmountField(
        label="Amount",
        help_text="In the currency's units, as shoppers read it: 4.95 for $4.95, 0 for free shipping.",
        preview="{amount}",
    )

    class Meta:
        model = ShippingRate
        fields = ["display_name", "amount", "currency", "delivery_min_days", "delivery_max_days", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial["amount"] = str(to_major_units(self.instance.amount, self.instance.currency))

    def clean(self):
        cleaned = super().clean()
        _clean_major_units(self, cleaned, "amount")
        return cleaned


class CouponAdminForm(forms.ModelForm):
    """A coupon as staff enter it: an amount off in major units of its currency, like prices."""

    amount_off = MoneyAmountField(
        label="Amount off",
        required=False,
        help_text="In the currency's units, as shoppers read it: 5 for $5.00 off. Leave empty for a "
        "percentage off.",
        preview="{amount} off",
    )

    class Meta:
        model = Coupon
        fields = ["name", "percent_off", "amount_off", "currency", "duration", "duration_in_months", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = self.instance
        if instance.pk is not None and instance.amount_off is not None and "amount_off" in self.fields:
            self.initial["amount_off"] = str(to_major_units(instance.amount_off, instance.currency or "usd"))

    def clean_amount_off(self):
        # Empty means "no amount off", which the model stores as None.
        return self.cleaned_data["amount_off"] or None

    def clean(self):
        cleaned = super().clean()
        _clean_major_units(self, cleaned, "amount_off")
        return cleaned


def _clean_major_units(form, cleaned, field: str) -> None:
    """Turn the text typed in `field` into minor units of the form's currency, or add the form error."""
    typed, currency = cleaned.get(field), cleaned.get("currency")
    if currency:
        cleaned["currency"] = currency = currency.lower()
    if typed is None or not currency or field not in form.fields:
        return
    try:
        cleaned[field] = amount = minor_units_from_text(typed, currency)
        if amount > STRIPE_MAX_UNIT_AMOUNT:
            raise ValidationError(
                "Enter at most %(largest)s: Stripe does not take larger amounts.",
                code="max_value",
                params={"largest": format_money(STRIPE_MAX_UNIT_AMOUNT, currency)},
            )
    except ValidationError as error:
        form.add_error(field, error)
