"""The refund page of an order: how much and why, like the delete confirmation page, then Stripe."""

import secrets

from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from inventory.forms import RestockForm
from inventory.selectors import order_sold_holds
from inventory.services import stock_restock_for_refund
from orders.exceptions import RefundAlreadyRequested, RefundAmountInvalid, RefundFailed, RefundNotAllowed
from orders.forms import RefundForm
from orders.selectors import order_refundable_amount
from shop.money import format_money, to_major_units
from shop.payment_gateway import payment_gateway

# Staff actions run from the order list (on the selected orders) and from an order's own page.
BOTH_PAGES = [ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM]


class OrderRefundViews:
    """The "Refund…" action and the refund page, mixed into OrderAdmin."""

    def has_refund_permission(self, request, obj=None):
        return request.user.has_perm("orders.refund_order")

    def get_urls(self):
        refund = path(
            "<path:object_id>/refund/",
            self.admin_site.admin_view(self.refund_view),
            name=f"{self.opts.app_label}_{self.opts.model_name}_refund",
        )
        return [refund, *super().get_urls()]

    @admin.action(permissions=["refund"], description="Refund…", location=BOTH_PAGES)
    def refund(self, request, queryset):
        orders = list(queryset[:2])
        if len(orders) != 1:
            self.message_user(request, "Refund one order at a time: select a single order.", messages.WARNING)
            return None
        return HttpResponseRedirect(reverse("admin:orders_order_refund", args=[orders[0].pk]))

    def refund_view(self, request, object_id):
        """Ask how much to refund and why, like the delete confirmation page, then ask Stripe."""
        order = self.get_object(request, unquote(object_id))
        if order is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_refund_permission(request, order):
            raise PermissionDenied
        change_url = reverse("admin:orders_order_change", args=[order.pk])
        refundable = order_refundable_amount(order=order)
        form_options = {"currency": order.currency, "refundable": refundable}
        # The goods can go back on the shelf with the money (a return): staff choose how many.
        restock_form = RestockForm(
            request.POST if request.method == "POST" else None,
            holds=order_sold_holds(order_number=order.number),
        )
        if request.method == "POST":
            form = RefundForm(request.POST, **form_options)
            if form.is_valid() and restock_form.is_valid():
                try:
                    refund = payment_gateway().refund_request(
                        order=order,
                        amount=form.cleaned_data["amount"],
                        reason=form.cleaned_data["reason"],
                        stripe_reason=form.cleaned_data["stripe_reason"],
                        request_token=form.cleaned_data["request_token"],
                        requested_by=request.user,
                    )
                except (RefundNotAllowed, RefundAmountInvalid) as error:
                    form.add_error(None, str(error))
                except RefundAlreadyRequested as error:
                    self.message_user(request, f"Order {order.number}: {error}", messages.WARNING)
                    return HttpResponseRedirect(change_url)
                except RefundFailed as error:
                    self.message_user(
                        request, f"{error} The failed attempt is in the refund history.", messages.ERROR
                    )
                    return HttpResponseRedirect(change_url)
                else:
                    for hold, quantity in restock_form.restocks():
                        stock_restock_for_refund(
                            order_number=order.number,
                            variant=hold.variant,
                            quantity=quantity,
                            user=request.user,
                            reason=f"Returned with the refund of order {order.number}",
                        )
                    amount = format_money(refund.amount, refund.currency)
                    self.message_user(
                        request,
                        f"Stripe accepted the refund of {amount} for order {order.number}. The order's "
                        "refunded amount and payment status change when Stripe confirms it.",
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(change_url)
        else:
            form = RefundForm(
                initial={
                    "amount": to_major_units(refundable, order.currency),
                    "request_token": secrets.token_urlsafe(24),
                },
                **form_options,
            )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Refund order {order.number}",
            "subtitle": None,
            "opts": self.opts,
            "order": order,
            "form": form,
            "restock_form": restock_form,
            "can_refund": order.is_paid and bool(order.stripe_payment_intent_id) and refundable > 0,
            "refundable": format_money(refundable, order.currency),
            "total": format_money(order.amount_total, order.currency),
            "refunded": format_money(order.refunded_amount, order.currency),
            "refunds": [
                (refund, format_money(refund.amount, refund.currency))
                for refund in order.refunds.select_related("requested_by")
            ],
        }
        return TemplateResponse(request, "admin/orders/order/refund.html", context)

    @admin.display(description="still refundable")
    def refundable(self, order):
        # Refunds requested and not confirmed by Stripe yet count too.
        return format_money(order_refundable_amount(order=order), order.currency)
