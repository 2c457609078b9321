"""Putting an order's returned units back on the shelf without a refund (a return kept as credit,
an exchange): which item, how many, why. A refund's own page puts units back with the money."""

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from inventory.exceptions import NotEnoughStock
from inventory.forms import ReturnRestockForm
from inventory.selectors import order_sold_holds
from inventory.services import stock_restock_for_refund


class OrderReturnViews:
    """The "Put back in stock…" page of an order, mixed into OrderAdmin after OrderShippingActions
    (whose fulfilment permission it takes: handling a return is fulfilment's work)."""

    def get_urls(self):
        restock = path(
            "<path:object_id>/restock/",
            self.admin_site.admin_view(self.restock_view),
            name=f"{self.opts.app_label}_{self.opts.model_name}_restock",
        )
        return [restock, *super().get_urls()]

    def restock_view(self, request, object_id):
        """Ask which item, how many units (at most those sold and not put back) and why; put them back."""
        order = self.get_object(request, unquote(object_id))
        if order is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_fulfil_permission(request, order):
            raise PermissionDenied
        change_url = reverse("admin:orders_order_change", args=[order.pk])
        form = ReturnRestockForm(
            request.POST if request.method == "POST" else None,
            holds=order_sold_holds(order_number=order.number),
        )
        if request.method == "POST" and form.is_valid():
            hold, quantity = form.cleaned_data["hold"], form.cleaned_data["quantity"]
            try:
                stock_restock_for_refund(
                    order_number=order.number,
                    variant=hold.variant,
                    quantity=quantity,
                    user=request.user,
                    reason=f"Returned from order {order.number}: {form.cleaned_data['reason']}",
                )
            except NotEnoughStock as error:
                # Put back meanwhile by another member of staff.
                form.add_error("quantity", str(error))
            else:
                self.message_user(
                    request,
                    f"{quantity} × {hold.variant} put back in stock from order {order.number}.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Put back in stock from order {order.number}",
            "subtitle": None,
            "opts": self.opts,
            "order": order,
            "form": form,
        }
        return TemplateResponse(request, "admin/orders/order/restock.html", context)
