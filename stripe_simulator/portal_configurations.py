"""Customer portal configurations (``/v1/billing_portal/configurations``): which features a portal
session's page offers. The account's default one stands for the settings saved in the dashboard
(invoices, card, cancel at the period end and a plan switch to any of the product's other prices);
one created through the API offers only the features it enables.

As on Stripe, creating one emits ``billing_portal.configuration.created`` and a change
``billing_portal.configuration.updated``; a session may only name an active one.
"""

import copy
import re

from .errors import StripeError, parameter_missing, resource_missing
from .params import Params
from .store import Store, list_object, new_id, now
from .subscriptions import CANCELLATION_FEEDBACK

CONFIGURATION_KIND = "billing_portal.configuration"
_URL = re.compile(r"^https?://\S+$")
_CUSTOMER_UPDATES = ("address", "email", "name", "phone", "shipping", "tax_id")
_PRORATIONS = ("always_invoice", "create_prorations", "none")
_INTERVALS = ("day", "month", "week", "year")


def _features(*, enabled: bool) -> dict:
    """Every feature, off, as a configuration created without it has it; `enabled`: the default
    configuration's features, as the simulator's portal always offered them."""
    return {
        "customer_update": {"allowed_updates": [], "enabled": False},
        "invoice_history": {"enabled": enabled},
        "payment_method_update": {"enabled": enabled, "payment_method_configuration": None},
        "subscription_cancel": {
            "cancellation_reason": {"enabled": False, "feedback_options": None, "options": []},
            "enabled": enabled,
            "mode": "at_period_end",
            "proration_behavior": "none",
        },
        "subscription_pause": {
            "duration": {
                "interval_options": [{"interval": "month", "interval_count": 1}],
                "type": "interval_options",
            },
            "enabled": False,
        },
        "subscription_update": {
            "billing_cycle_anchor": None,
            "default_allowed_updates": ["price"] if enabled else [],
            "enabled": enabled,
            # None, on the default configuration only: any product may switch to its other prices.
            "products": None if enabled else [],
            "proration_behavior": "create_prorations" if enabled else "none",
            "schedule_at_period_end": {"conditions": []},
            "trial_update_behavior": "end_trial",
        },
    }


class PortalConfigurations:
    """The configuration endpoints, and the configuration a portal session uses."""

    def __init__(self, store: Store):
        self.store = store

    def default(self) -> dict:
        """The account's default configuration, made the first time it is needed."""
        internal = self.store.internal.setdefault("portal", {})
        configuration_id = internal.setdefault("configuration", new_id("bpc_"))
        if not self.store.exists(configuration_id):
            return self._add(configuration_id, is_default=True, features=_features(enabled=True))
        return self.store.get(CONFIGURATION_KIND, configuration_id)

    def for_session(self, configuration_id: str | None) -> dict:
        """The configuration a new session names (400 when it is unknown or inactive), else the default."""
        if configuration_id is None:
            return self.default()
        self.default()
        configuration = self.store.get(
            CONFIGURATION_KIND, configuration_id, param="configuration", status=400
        )
        if not configuration["active"]:
            raise StripeError(
                f"The configuration {configuration_id} is not active and cannot be used to create a "
                "portal session.",
                param="configuration",
            )
        return configuration

    # API endpoints

    def create_configuration(self, params: Params) -> dict:
        params.allow("business_profile", "default_return_url", "features", "login_page", "metadata", "name")
        features = params.hash("features")
        if features is None:
            raise parameter_missing("features")
        changes = self._changes(params, current=None)
        # The dashboard's settings were saved before any configuration the API makes.
        self.default()
        configuration = self._add(new_id("bpc_"), is_default=False, features=_features(enabled=False))
        configuration.update(changes)
        self.store.emit("billing_portal.configuration.created", configuration)
        return configuration

    def retrieve_configuration(self, params: Params, configuration_id: str) -> dict:
        self.default()
        return self.store.get(CONFIGURATION_KIND, configuration_id)

    def update_configuration(self, params: Params, configuration_id: str) -> dict:
        params.allow(
            "active", "business_profile", "default_return_url", "features", "login_page", "metadata", "name"
        )
        self.default()
        configuration = self.store.get(CONFIGURATION_KIND, configuration_id)
        changes = self._changes(params, current=configuration)
        if params.has("active"):
            changes["active"] = params.boolean("active")
        if any(configuration[key] != value for key, value in changes.items()):
            changes["updated"] = now()
        self.store.update(configuration, changes, "billing_portal.configuration.updated")
        return configuration

    def list_configurations(self, params: Params) -> dict:
        params.allow("active", "is_default", "limit", "starting_after", "ending_before")
        self.default()
        configurations = self.store.all(CONFIGURATION_KIND)
        for flag in ("active", "is_default"):
            if params.has(flag):
                configurations = [c for c in configurations if c[flag] == params.boolean(flag)]
        return list_object(configurations, params, "/v1/billing_portal/configurations", CONFIGURATION_KIND)

    def _add(self, configuration_id: str, *, is_default: bool, features: dict) -> dict:
        created = now()
        return self.store.add(
            {
                "id": configuration_id,
                "object": CONFIGURATION_KIND,
                "active": True,
                "application": None,
                "business_profile": {
                    "headline": None,
                    "privacy_policy_url": None,
                    "terms_of_service_url": None,
                },
                "created": created,
                "default_return_url": None,
                "features": features,
                "is_default": is_default,
                "livemode": False,
                "login_page": {"enabled": False, "url": None},
                "metadata": {},
                "name": None,
                "updated": created,
            }
        )

    def _changes(self, params: Params, *, current: dict | None) -> dict:
        """The fields the create or update params set; `current` None when creating."""
        creating = current is None
        changes = {}
        if (profile := params.hash("business_profile")) is not None:
            changes["business_profile"] = _business_profile(profile, current)
        if params.has("default_return_url"):
            changes["default_return_url"] = _url(params, "default_return_url")
        if (features := params.hash("features")) is not None:
            base = _features(enabled=False) if creating else current["features"]
            changes["features"] = self._features(features, copy.deepcopy(base), creating)
        if (login_page := params.hash("login_page")) is not None:
            login_page.allow("enabled")
            if _enabled(login_page, required=True):
                raise StripeError(
                    "The simulator serves no portal login page.", param=login_page.path("enabled")
                )
        if params.has("metadata"):
            changes["metadata"] = params.metadata(None if creating else current["metadata"])
        if params.has("name"):
            changes["name"] = params.string("name")
        return changes

    def _features(self, given: Params, features: dict, creating: bool) -> dict:
        given.allow(*features)
        builders = {
            "customer_update": _customer_update,
            "invoice_history": _invoice_history,
            "payment_method_update": _payment_method_update,
            "subscription_cancel": _subscription_cancel,
            "subscription_pause": _subscription_pause,
            "subscription_update": self._subscription_update,
        }
        for name, build in builders.items():
            if (feature := given.hash(name)) is not None:
                features[name] = build(feature, features[name], creating)
        return features

    def _subscription_update(self, feature: Params, current: dict, creating: bool) -> dict:
        feature.allow(
            "billing_cycle_anchor",
            "default_allowed_updates",
            "enabled",
            "products",
            "proration_behavior",
            "schedule_at_period_end",
            "trial_update_behavior",
        )
        changed = {**current, "enabled": _enabled(feature, required=creating, current=current)}
        if feature.has("billing_cycle_anchor"):
            changed["billing_cycle_anchor"] = feature.string(
                "billing_cycle_anchor", choices=("now", "unchanged")
            )
        if feature.has("default_allowed_updates"):
            changed["default_allowed_updates"] = _choices(
                feature, "default_allowed_updates", ("price", "promotion_code", "quantity")
            )
        if feature.has("products"):
            changed["products"] = [self._product(product) for product in feature.hashes("products")]
        if feature.has("proration_behavior"):
            changed["proration_behavior"] = feature.string("proration_behavior", choices=_PRORATIONS)
        if (schedule := feature.hash("schedule_at_period_end")) is not None:
            schedule.allow("conditions")
            conditions = []
            for condition in schedule.hashes("conditions"):
                condition.allow("type")
                kind = condition.string(
                    "type", required=True, choices=("decreasing_item_amount", "shortening_interval")
                )
                conditions.append({"type": kind})
            changed["schedule_at_period_end"] = {"conditions": conditions}
        if feature.has("trial_update_behavior"):
            changed["trial_update_behavior"] = feature.string(
                "trial_update_behavior", choices=("continue_trial", "end_trial")
            )
        return changed

    def _product(self, given: Params) -> dict:
        given.allow("adjustable_quantity", "prices", "product")
        product = self.store.get(
            "product", given.string("product", required=True), param=given.path("product"), status=400
        )
        prices = given.strings("prices")
        for index, price_id in enumerate(prices):
            path = f"{given.path('prices')}[{index}]"
            price = self.store.get("price", price_id, param=path, status=400)
            if price["product"] != product["id"]:
                raise StripeError(f"The price {price_id} is not a price of {product['id']}.", param=path)
        quantity = {"enabled": False, "maximum": None, "minimum": 0}
        if (adjustable := given.hash("adjustable_quantity")) is not None:
            adjustable.allow("enabled", "maximum", "minimum")
            quantity = {
                "enabled": _enabled(adjustable, required=True),
                "maximum": adjustable.integer("maximum", minimum=1),
                "minimum": adjustable.integer("minimum", minimum=0) or 0,
            }
        return {"adjustable_quantity": quantity, "prices": prices, "product": product["id"]}


def _enabled(feature: Params, *, required: bool, current: dict | None = None) -> bool:
    """The hash's ``enabled``; when it is left out, `current`'s, unless it is `required`."""
    if feature.has("enabled"):
        return feature.boolean("enabled")
    if required:
        raise parameter_missing(feature.path("enabled"))
    return current["enabled"]


def _url(params: Params, name: str) -> str | None:
    value = params.string(name)
    if value is not None and not _URL.match(value):
        raise StripeError("Not a valid URL", param=params.path(name))
    return value


def _choices(feature: Params, name: str, allowed: tuple[str, ...]) -> list[str]:
    values = feature.strings(name)
    for index, value in enumerate(values):
        if value not in allowed:
            raise StripeError(
                f"Invalid {feature.path(name)}[{index}]: must be one of {', '.join(allowed)}",
                param=f"{feature.path(name)}[{index}]",
            )
    return values


def _business_profile(profile: Params, current: dict | None) -> dict:
    profile.allow("headline", "privacy_policy_url", "terms_of_service_url")
    changed = dict(current["business_profile"]) if current else {}
    for name in ("headline", "privacy_policy_url", "terms_of_service_url"):
        if profile.has(name) or current is None:
            changed[name] = profile.string(name) if name == "headline" else _url(profile, name)
    return changed


def _customer_update(feature: Params, current: dict, creating: bool) -> dict:
    feature.allow("allowed_updates", "enabled")
    changed = {**current, "enabled": _enabled(feature, required=creating, current=current)}
    if feature.has("allowed_updates"):
        changed["allowed_updates"] = _choices(feature, "allowed_updates", _CUSTOMER_UPDATES)
    return changed


def _invoice_history(feature: Params, current: dict, creating: bool) -> dict:
    feature.allow("enabled")
    return {**current, "enabled": _enabled(feature, required=True)}


def _payment_method_update(feature: Params, current: dict, creating: bool) -> dict:
    feature.allow("enabled", "payment_method_configuration")
    changed = {**current, "enabled": _enabled(feature, required=True)}
    if feature.has("payment_method_configuration"):
        configuration = feature.string("payment_method_configuration")
        if configuration is not None:
            # The simulator keeps no payment method configurations.
            raise resource_missing(
                "payment_method_configuration", configuration, feature.path("payment_method_configuration")
            )
        changed["payment_method_configuration"] = None
    return changed


def _subscription_cancel(feature: Params, current: dict, creating: bool) -> dict:
    feature.allow("cancellation_reason", "enabled", "mode", "proration_behavior")
    changed = {**current, "enabled": _enabled(feature, required=creating, current=current)}
    if feature.has("mode"):
        changed["mode"] = feature.string("mode", choices=("at_period_end", "immediately"))
    if feature.has("proration_behavior"):
        changed["proration_behavior"] = feature.string(
            "proration_behavior", choices=("create_prorations", "none")
        )
    if (reason := feature.hash("cancellation_reason")) is not None:
        reason.allow("enabled", "feedback_options", "options")
        if reason.strings("feedback_options"):
            raise resource_missing(
                "billing.feedback_option",
                reason.strings("feedback_options")[0],
                reason.path("feedback_options"),
            )
        if creating and not reason.has("options"):
            raise parameter_missing(reason.path("options"))
        changed["cancellation_reason"] = {
            "enabled": _enabled(reason, required=True),
            "feedback_options": None,
            "options": _choices(reason, "options", CANCELLATION_FEEDBACK)
            if reason.has("options")
            else current["cancellation_reason"]["options"],
        }
    return changed


def _subscription_pause(feature: Params, current: dict, creating: bool) -> dict:
    feature.allow("duration", "enabled")
    changed = {**current, "enabled": _enabled(feature, required=False, current=current)}
    if (duration := feature.hash("duration")) is not None:
        duration.allow("interval_options", "type")
        kind = duration.string("type", required=True, choices=("indefinite", "interval_options"))
        options = []
        for option in duration.hashes("interval_options"):
            option.allow("interval", "interval_count")
            options.append(
                {
                    "interval": option.string("interval", required=True, choices=_INTERVALS),
                    "interval_count": option.integer("interval_count", minimum=1) or 1,
                }
            )
        if kind == "interval_options" and not options:
            raise parameter_missing(duration.path("interval_options"))
        changed["duration"] = {"interval_options": options, "type": kind}
    return changed
