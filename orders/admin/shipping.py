"""Fulfilment actions on orders: fulfilled, shipped (with carrier and tracking), delivered, returned."""

from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from orders.admin.refunds import BOTH_PAGES
from orders.exceptions import FulfilmentNotAllowed, InvalidStatusTransition
from orders.forms import BulkShipmentForm
from orders.fulfilment import (
    order_mark_delivered,
    order_mark_fulfilled,
    order_mark_returned,
    order_mark_shipped,
    shipping_refusal,
)


class OrderShippingActions:
    """The fulfilment actions, mixed into OrderAdmin."""

    def has_fulfil_permission(self, request, obj=None):
        return request.user.has_perm("orders.fulfil_order")

    def get_urls(self):
        ship = path(
            "<path:object_id>/ship/",
            self.admin_site.admin_view(self.ship_view),
            name=f"{self.opts.app_label}_{self.opts.model_name}_ship",
        )
        return [ship, *super().get_urls()]

    def ship_view(self, request, object_id):
        """The "Ship…" button of an order's page: the shipping form of that one order."""
        order = self.get_object(request, unquote(object_id))
        if order is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_fulfil_permission(request, order):
            raise PermissionDenied
        response = self.mark_shipped(request, self.get_queryset(request).filter(pk=order.pk))
        if response is None:
            return HttpResponseRedirect(reverse("admin:orders_order_change", args=[order.pk]))
        response.context_data["from_order_page"] = True
        return response

    @admin.action(
        permissions=["fulfil"],
        description="Mark as fulfilled",
        description_plural="Mark selected orders as fulfilled",
        location=BOTH_PAGES,
    )
    def mark_fulfilled(self, request, queryset):
        self._move_each(request, queryset, "fulfilled", order_mark_fulfilled)

    @admin.action(
        permissions=["fulfil"],
        description="Mark as shipped…",
        description_plural="Mark selected orders as shipped…",
        location=BOTH_PAGES,
    )
    def mark_shipped(self, request, queryset):
        """Ask for one carrier and a tracking number per order, then ship the orders that can ship."""
        orders = list(queryset)
        refusals = {order.pk: refusal for order in orders if (refusal := shipping_refusal(order))}
        shippable = [order for order in orders if order.pk not in refusals]
        if not shippable:
            for refusal in refusals.values():
                self.message_user(request, refusal, messages.ERROR)
            return None
        applying = "apply" in request.POST
        form = BulkShipmentForm(request.POST if applying else None, orders=shippable)
        if applying and form.is_valid():
            for refusal in refusals.values():
                self.message_user(request, refusal, messages.ERROR)
            carrier = form.cleaned_data["carrier"]
            details = {
                order.pk: {"carrier": carrier, "tracking_number": tracking}
                for order, tracking in form.shipments()
            }
            self._move_each(request, shippable, "shipped", order_mark_shipped, details=details)
            if request.POST.get("from_order_page"):
                return HttpResponseRedirect(reverse("admin:orders_order_change", args=[shippable[0].pk]))
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Ship orders" if len(shippable) > 1 else f"Ship order {shippable[0].number}",
            "subtitle": None,
            "opts": self.opts,
            "form": form,
            "refused": [(order, refusals[order.pk]) for order in orders if order.pk in refusals],
            "from_order_page": request.POST.get("from_order_page")
            or any(name.startswith(ActionLocation.CHANGE_FORM.value) for name in request.POST),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/orders/order/ship.html", context)

    @admin.action(
        permissions=["fulfil"],
        description="Mark as delivered",
        description_plural="Mark selected orders as delivered",
        location=BOTH_PAGES,
    )
    def mark_delivered(self, request, queryset):
        self._move_each(request, queryset, "delivered", order_mark_delivered)

    @admin.action(
        permissions=["fulfil"],
        description="Mark as returned",
        description_plural="Mark selected orders as returned",
        location=BOTH_PAGES,
    )
    def mark_returned(self, request, queryset):
        self._move_each(request, queryset, "returned", order_mark_returned)

    def _move_each(self, request, orders, label, move, *, details=None):
        """Apply `move` to each order (with its `details` by pk); refuse illegal moves with a message each."""
        moved, repeated = [], []
        for order in orders:
            extra = (details or {}).get(order.pk, {})
            try:
                changed = move(order=order, note=f"Marked {label} by {request.user.email}", **extra)
            except (InvalidStatusTransition, FulfilmentNotAllowed) as error:
                self.message_user(request, str(error), messages.ERROR)
                continue
            (moved if changed else repeated).append(order.number)
        if moved:
            self.message_user(request, f"Marked {label}: {', '.join(moved)}.", messages.SUCCESS)
        if repeated:
            self.message_user(request, f"Already {label}, unchanged: {', '.join(repeated)}.", messages.INFO)
