from pathlib import PurePosixPath

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core import signing
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.views import View
from django.views.generic import DetailView, ListView

from orders.downloads import order_item_from_download_link
from orders.links import ORDER_LINK_MAX_AGE, order_number_from_link
from orders.models import Order, OrderItem
from orders.selectors import (
    order_get_by_number,
    order_get_for_user,
    order_item_get_for_download,
    order_list_for_user,
)


class OrderListView(LoginRequiredMixin, ListView):
    """List the signed-in user's own orders."""

    template_name = "orders/order_list.html"
    context_object_name = "orders"
    paginate_by = 20

    def get_queryset(self):
        return order_list_for_user(user=self.request.user)


class OrderDetailView(LoginRequiredMixin, DetailView):
    """Show one of the signed-in user's orders; anyone else's answers 404."""

    template_name = "orders/order_detail.html"
    context_object_name = "order"

    def get_object(self, queryset=None):
        try:
            return order_get_for_user(user=self.request.user, number=self.kwargs["number"])
        except Order.DoesNotExist:
            raise Http404("No such order.") from None


class OrderLinkView(DetailView):
    """Show, read-only, the one order a signed link from its email names; a bad link shows nothing.

    Like every page under orders/ it answers Cache-Control: private, no-store (shop/urls.py).
    """

    template_name = "orders/order_link_detail.html"
    refused_template_name = "orders/order_link_refused.html"
    context_object_name = "order"

    def get(self, request, *args, **kwargs):
        try:
            number = order_number_from_link(token=kwargs["token"])
        except signing.SignatureExpired:
            return self.refuse(expired=True)
        except signing.BadSignature:
            return self.refuse(expired=False)
        try:
            self.object = order_get_by_number(number=number)
        except Order.DoesNotExist:
            return self.refuse(expired=False)
        return self.render_to_response(self.get_context_data(object=self.object))

    def get_context_data(self, **kwargs):
        return super().get_context_data(link_days=ORDER_LINK_MAX_AGE.days, **kwargs)

    def refuse(self, *, expired: bool):
        context = {"expired": expired, "link_days": ORDER_LINK_MAX_AGE.days}
        return render(self.request, self.refused_template_name, context, status=404)


class OrderItemDownloadView(View):
    """Stream the file of a paid order's line that a signed download link names, as an attachment.

    Anything else (a bad or expired link, an order not paid or refunded, a product whose file is
    gone) answers the plain 404, with no hint of which. Like every page under orders/ it answers
    Cache-Control: private, no-store (shop/urls.py).
    """

    def get(self, request, *args, **kwargs):
        try:
            number, item_id = order_item_from_download_link(token=kwargs["token"])
            item = order_item_get_for_download(number=number, item_id=item_id)
            download = item.product.download
            stream = download.storage.open(download.name, "rb")
        except (signing.BadSignature, OrderItem.DoesNotExist, FileNotFoundError):
            raise Http404("No such download.") from None
        filename = item.product.slug + PurePosixPath(download.name).suffix
        return FileResponse(stream, as_attachment=True, filename=filename)
