"""Coupons and promotion codes, and redeeming a code on a Checkout Session's totals."""

import re

from .errors import StripeError
from .params import Params
from .store import Store, list_object, new_id, now

_CODE = re.compile(r"^[A-Za-z0-9-]+$")
# The words of Stripe's hosted page when a typed code cannot be used.
CODE_INVALID = "This code is invalid."
CODE_EXPIRED = "This code has expired."
CODE_USED_UP = "This code has already been redeemed the maximum number of times."


class Discounts:
    """The coupon and promotion code endpoints."""

    def __init__(self, store: Store):
        self.store = store

    def create_coupon(self, params: Params) -> dict:
        params.allow(
            "id",
            "amount_off",
            "currency",
            "percent_off",
            "duration",
            "duration_in_months",
            "max_redemptions",
            "metadata",
            "name",
            "redeem_by",
        )
        percent_off = _percent(params)
        amount_off = params.integer("amount_off", minimum=1)
        if (percent_off is None) == (amount_off is None):
            raise StripeError("You must pass exactly one of amount_off or percent_off.", param="amount_off")
        currency = params.string("currency")
        if amount_off is not None and not currency:
            raise StripeError("You must pass currency when passing amount_off.", param="currency")
        duration = params.string("duration", choices=("forever", "once", "repeating")) or "once"
        months = params.integer("duration_in_months", minimum=1)
        if (duration == "repeating") != (months is not None):
            raise StripeError(
                "duration_in_months is required when duration is repeating, and only then.",
                param="duration_in_months",
            )
        coupon_id = params.string("id") or new_id("", 8)
        if self.store.exists(coupon_id):
            raise StripeError("Coupon already exists.", code="resource_already_exists", param="id")
        coupon = self.store.add(
            {
                "id": coupon_id,
                "object": "coupon",
                "amount_off": amount_off,
                "applies_to": None,
                "created": now(),
                "currency": currency.lower() if amount_off is not None else None,
                "currency_options": None,
                "duration": duration,
                "duration_in_months": months,
                "livemode": False,
                "max_redemptions": params.integer("max_redemptions", minimum=1),
                "metadata": params.metadata(),
                "name": params.string("name"),
                "percent_off": percent_off,
                "redeem_by": params.integer("redeem_by"),
                "times_redeemed": 0,
                "valid": True,
            }
        )
        self.store.emit("coupon.created", coupon)
        return coupon

    def retrieve_coupon(self, params: Params, coupon_id: str) -> dict:
        return self.store.get("coupon", coupon_id)

    def list_coupons(self, params: Params) -> dict:
        params.allow("limit", "starting_after", "ending_before")
        return list_object(self.store.all("coupon"), params, "/v1/coupons", "coupon")

    def create_promotion_code(self, params: Params) -> dict:
        params.allow("active", "code", "expires_at", "max_redemptions", "metadata", "promotion")
        promotion = params.hash("promotion")
        if promotion is None:
            raise StripeError(
                "Missing required param: promotion.", code="parameter_missing", param="promotion"
            )
        promotion.allow("type", "coupon")
        promotion.string("type", required=True, choices=("coupon",))
        coupon = self.store.get(
            "coupon", promotion.string("coupon", required=True), param=promotion.path("coupon"), status=400
        )
        code = params.string("code") or new_id("", 8).upper()
        if not _CODE.match(code):
            raise StripeError("A promotion code may contain only letters, digits and dashes.", param="code")
        active = params.boolean("active")
        if active is not False and self.find_active(code):
            raise StripeError(
                "An active promotion code with `code` already exists.",
                code="resource_already_exists",
                param="code",
            )
        promotion_code = self.store.add(
            {
                "id": new_id("promo_"),
                "object": "promotion_code",
                "active": active is not False,
                "code": code,
                "created": now(),
                "customer": None,
                "customer_account": None,
                "expires_at": params.integer("expires_at"),
                "livemode": False,
                "max_redemptions": params.integer("max_redemptions", minimum=1),
                "metadata": params.metadata(),
                "promotion": {"coupon": coupon["id"], "type": "coupon"},
                "restrictions": {
                    "currency_options": {},
                    "first_time_transaction": False,
                    "minimum_amount": None,
                    "minimum_amount_currency": None,
                },
                "times_redeemed": 0,
            }
        )
        self.store.emit("promotion_code.created", promotion_code)
        return promotion_code

    def retrieve_promotion_code(self, params: Params, promotion_code_id: str) -> dict:
        return self.store.get("promotion_code", promotion_code_id)

    def update_promotion_code(self, params: Params, promotion_code_id: str) -> dict:
        params.allow("active", "metadata")
        promotion_code = self.store.get("promotion_code", promotion_code_id)
        changes = {"metadata": params.metadata(promotion_code["metadata"])}
        if params.has("active"):
            changes["active"] = params.boolean("active")
        self.store.update(promotion_code, changes, "promotion_code.updated")
        return promotion_code

    def list_promotion_codes(self, params: Params) -> dict:
        params.allow("active", "code", "coupon", "limit", "starting_after", "ending_before")
        codes = self.store.all("promotion_code")
        if params.has("active"):
            codes = [c for c in codes if c["active"] == params.boolean("active")]
        if params.has("code"):
            codes = [c for c in codes if c["code"].lower() == params.string("code").lower()]
        if params.has("coupon"):
            codes = [c for c in codes if c["promotion"]["coupon"] == params.string("coupon")]
        return list_object(codes, params, "/v1/promotion_codes", "promotion_code")

    # Redemption on the hosted page

    def find_active(self, code: str) -> dict | None:
        """The active promotion code typed as `code`, in any case, as Stripe matches it."""
        for promotion_code in self.store.all("promotion_code"):
            if promotion_code["active"] and promotion_code["code"].lower() == code.strip().lower():
                return promotion_code
        return None

    def redeemable(self, promotion_code: dict | None, currency: str) -> dict:
        """The coupon of a promotion code a shopper may use now; StripeError in the page's words if none."""
        if promotion_code is None or not promotion_code["active"]:
            raise StripeError(CODE_INVALID, param="promotion_code")
        coupon = self.store.get("coupon", promotion_code["promotion"]["coupon"])
        expiries = [promotion_code["expires_at"], coupon["redeem_by"]]
        if any(at is not None and at <= now() for at in expiries):
            raise StripeError(CODE_EXPIRED, param="promotion_code")
        for limited in (promotion_code, coupon):
            if (
                limited["max_redemptions"] is not None
                and limited["times_redeemed"] >= limited["max_redemptions"]
            ):
                raise StripeError(CODE_USED_UP, param="promotion_code")
        if not coupon["valid"] or (coupon["amount_off"] is not None and coupon["currency"] != currency):
            raise StripeError(CODE_INVALID, param="promotion_code")
        return coupon

    def redeem(self, discounts: list[dict]) -> None:
        """Count a completed session's promotion codes and coupons as used once more."""
        for discount in discounts:
            for kind in ("promotion_code", "coupon"):
                if discount.get(kind) and self.store.exists(discount[kind]):
                    obj = self.store.get(kind, discount[kind])
                    self.store.update(obj, {"times_redeemed": obj["times_redeemed"] + 1})


def discount_amount(coupon: dict, amount: int) -> int:
    """What `coupon` takes off `amount` (minor units), never more than the amount itself."""
    if coupon["percent_off"] is not None:
        # Stripe rounds a percentage discount half up to the minor unit.
        return min(amount, int(amount * coupon["percent_off"] / 100 + 0.5))
    return min(amount, coupon["amount_off"])


def discount_shares(amounts: list[int], discount: int) -> list[int]:
    """`discount` split over lines of `amounts` in proportion to each, the rounding left on the
    last line that has an amount, as Stripe shares a discount out."""
    total = sum(amounts)
    shares = [discount * amount // (total or 1) for amount in amounts]
    last = max((index for index, amount in enumerate(amounts) if amount), default=len(amounts) - 1)
    if amounts:
        shares[last] += discount - sum(shares)
    return shares


def subscription_discount(
    store: Store, applied: dict, *, customer: str, subscription: str, start: int, end: int | None
) -> dict:
    """The Discount a subscription keeps of a coupon its checkout applied (`applied`: the session's
    ``{"coupon", "promotion_code"}``), lasting until `end` (None: for good, or one invoice for a
    coupon of ``once``)."""
    return store.add(
        {
            "id": new_id("di_"),
            "object": "discount",
            "checkout_session": None,
            "customer": customer,
            "customer_account": None,
            "end": end,
            "invoice": None,
            "invoice_item": None,
            "promotion_code": applied["promotion_code"],
            "source": {"coupon": applied["coupon"], "type": "coupon"},
            "start": start,
            "subscription": subscription,
            "subscription_item": None,
        }
    )


def _percent(params: Params) -> float | None:
    raw = params.string("percent_off")
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise StripeError(f"Invalid decimal: {raw}", param="percent_off") from None
    if not 0 < value <= 100:
        raise StripeError("percent_off must be greater than 0 and at most 100.", param="percent_off")
    return value
