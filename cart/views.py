from bson import ObjectId
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from cart.exceptions import CartError
from cart.forms import AddToCartForm, CartItemQuantityForm
from cart.models import CartItem
from cart.selectors import (
    cart_get_for_request,
    cart_line_stock,
    cart_lines,
    cart_totals,
    price_get_for_sale,
)
from cart.services import cart_add_price, cart_get_or_create_for_request, cart_remove_item, cart_update_item
from catalog.models import Product
from catalog.page_cache import (
    CSRF_TOKEN_MARKER,
    VARIANTS_GENERATION_KEY,
    page_for_request,
    page_keep,
    page_lookup,
)


class CartDetailView(TemplateView):
    """The cart page, kept in the shared cache for one version of the cart and of the catalog.

    A shopper opens their cart again and again while deciding; each view would otherwise read the
    lines, their prices, products, variants, pictures and the shipping rates and render them anew.
    One entry per cart, shopper and host, served only while the cart's version, today's date (the
    payment schedule's dates) and the generations of the catalog and of its variants (stock) are
    those it was rendered under. A page with a message, shown once, is neither served nor kept.
    """

    template_name = "cart/cart_detail.html"

    def get(self, request, *args, **kwargs):
        cart = cart_get_for_request(request)
        if cart is None or len(messages.get_messages(request)):
            return super().get(request, *args, **kwargs)
        user = request.user
        kept = page_lookup(
            "cart",
            str(cart.pk),
            str(user.pk),
            user.is_staff,
            request.get_host(),
            stamp=f"{cart.version}:{timezone.localdate().isoformat()}",
            depends_on=(VARIANTS_GENERATION_KEY,),
        )
        page = kept.page
        if page is None:
            response = super().get(request, *args, csrf_token=CSRF_TOKEN_MARKER, **kwargs)
            page = {"html": response.rendered_content}
            page_keep(kept, page)
        return HttpResponse(page_for_request(page["html"], request))

    def get_context_data(self, **kwargs):
        cart = cart_get_for_request(self.request)
        lines = cart_lines(cart) if cart else []
        for line in lines:
            line.quantity_form = CartItemQuantityForm(
                initial={"quantity": line.quantity},
                auto_id=f"id_%s_{line.pk}",
                stock=line.stock,
                elsewhere=line.units_elsewhere,
            )
        return super().get_context_data(
            cart=cart,
            lines=lines,
            totals=cart_totals(cart, lines),
            # The header badge, from the lines already read rather than one more query.
            cart_item_count=sum(line.quantity for line in lines),
            **kwargs,
        )


@require_POST
def cart_add(request):
    """Add a price of a product to the shopper's cart, creating the cart on the first add."""
    form = AddToCartForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_error_text(form))
        return redirect(_product_page_or_catalog(form.cleaned_data.get("product_id")))
    try:
        price = price_get_for_sale(
            price_id=form.cleaned_data["price_id"], product_id=form.cleaned_data["product_id"]
        )
        cart = cart_get_or_create_for_request(request=request)
        item = cart_add_price(cart=cart, price=price, quantity=form.cleaned_data["quantity"])
    except CartError as error:
        messages.error(request, str(error))
        return redirect(_product_page_or_catalog(form.cleaned_data["product_id"]))
    messages.success(
        request,
        f"Added {form.cleaned_data['quantity']} × {item.product.name} ({item.price.label}) to your cart.",
    )
    return redirect("cart:detail")


@require_POST
def cart_item_update(request, item_id):
    """Set the quantity of one line of the shopper's cart."""
    cart, item = _cart_and_line_or_404(request, item_id)
    stock, elsewhere = cart_line_stock(cart=cart, item=item)
    form = CartItemQuantityForm(request.POST, stock=stock, elsewhere=elsewhere)
    if not form.is_valid():
        messages.error(request, _form_error_text(form))
        return redirect("cart:detail")
    try:
        cart_update_item(cart=cart, item=item, quantity=form.cleaned_data["quantity"])
    except CartError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Quantity updated.")
    return redirect("cart:detail")


@require_POST
def cart_item_remove(request, item_id):
    """Remove one line from the shopper's cart."""
    cart, item = _cart_and_line_or_404(request, item_id)
    try:
        cart_remove_item(cart=cart, item=item)
    except CartError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Item removed from your cart.")
    return redirect("cart:detail")


def _cart_and_line_or_404(request, item_id):
    cart = cart_get_for_request(request)
    item = (
        CartItem.objects.filter(pk=item_id, cart=cart).first()
        if cart and ObjectId.is_valid(item_id)
        else None
    )
    if item is None:
        raise Http404("No such item in your cart.")
    return cart, item


def _form_error_text(form):
    return " ".join(error for errors in form.errors.values() for error in errors)


def _product_page_or_catalog(product_id):
    product = Product.objects.for_sale().filter(pk=product_id).first() if product_id else None
    return product.get_absolute_url() if product else "catalog:product_list"
