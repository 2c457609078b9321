from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.views.generic import DetailView, ListView

from orders.models import Order
from orders.selectors import order_get_for_user, order_list_for_user


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
