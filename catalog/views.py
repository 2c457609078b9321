from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST
from django.views.generic import DetailView, TemplateView

from catalog.forms import ProductFilterForm
from catalog.models import Product, Variant
from catalog.page_cache import CSRF_TOKEN_MARKER, EMAIL_MARKER, page_for_request, page_keep, page_lookup
from catalog.selectors import (
    collection_for_page,
    product_gallery,
    product_list_page,
    product_option_pickers,
    product_prices_for_sale,
    product_variants,
    variant_choose,
)
from catalog.seo import product_description, product_json_ld
from catalog.stock import StockLevel
from inventory.forms import BackInStockForm
from inventory.services import back_in_stock_request_create


class ProductListView(TemplateView):
    """The home page: products for sale, searched, filtered, sorted and paginated."""

    template_name = "catalog/product_list.html"
    content_template_name = "catalog/product_list_content.html"
    paginate_by = 24
    collection = None

    def get_context_data(self, **kwargs):
        form = ProductFilterForm(self.request.GET or None)
        filters = form.filters()
        kept = page_lookup("list", self.request.path, sorted(self.request.GET.lists()))
        page = kept.page
        if page is None:
            page = {"content": self.content_render(form=form, filters=filters)}
            page_keep(kept, page)
        return super().get_context_data(
            filters=filters,
            collection=self.collection,
            content=page_for_request(page["content"], self.request),
            **kwargs,
        )

    def content_render(self, *, form, filters) -> str:
        page = product_list_page(
            **filters,
            collection=self.collection,
            page_number=self.request.GET.get("page"),
            per_page=self.paginate_by,
        )
        if form.search_refused:
            # Listing everything would read as if the search had matched it all.
            page = Paginator([], self.paginate_by).page(1)
        filter_query = self.request.GET.copy()
        filter_query.pop("page", None)
        context = {
            "form": form,
            "filters": filters,
            "page_obj": page,
            "products": page.object_list,
            "collection": self.collection,
            "filter_query": filter_query.urlencode(),
            "csrf_token": CSRF_TOKEN_MARKER,
        }
        return render_to_string(self.content_template_name, context, request=self.request)


class CollectionDetailView(ProductListView):
    """A collection's page: its products, with the home page's search, filters, sort and pages."""

    template_name = "catalog/collection_detail.html"

    def get(self, request, *args, **kwargs):
        self.collection = collection_for_page(slug=kwargs["slug"])
        if self.collection is None:
            raise Http404("No such collection.")
        return super().get(request, *args, **kwargs)


class ProductDetailView(DetailView):
    template_name = "catalog/product_detail.html"
    context_object_name = "product"

    def get(self, request, *args, **kwargs):
        # The host is in the page: its pictures' absolute addresses.
        kept = page_lookup("product", kwargs["slug"], request.get_host(), sorted(request.GET.lists()))
        page = kept.page
        if page is None:
            self.object = self.get_object()
            context = self.get_context_data(
                object=self.object, csrf_token=CSRF_TOKEN_MARKER, shopper_email=EMAIL_MARKER
            )
            page = {
                "product_name": self.object.name,
                "seo": render_to_string("catalog/product_detail_seo.html", context, request=request),
                "content": render_to_string("catalog/product_detail_content.html", context, request=request),
            }
            page_keep(kept, page)
        return self.response_class(
            request=request,
            template=[self.template_name],
            context={
                "product_name": page["product_name"],
                "seo": page_for_request(page["seo"], request),
                "content": page_for_request(page["content"], request),
            },
            using=self.template_engine,
            content_type=self.content_type,
        )

    def get_queryset(self):
        return Product.objects.for_sale()

    def get_object(self, queryset=None):
        product = super().get_object(queryset)
        variants = product_variants(product)
        product.selected_variant = variant_choose(product, variants, self.request.GET.dict())
        prices = product_prices_for_sale(product)
        if product.option_axes:
            selected = product.selected_variant
            prices = [price for price in prices if selected is not None and price.variant_id == selected.pk]
        product.prices_for_sale = prices
        product.variants_list = variants
        return product

    def get_context_data(self, **kwargs):
        product = self.object
        selected = product.selected_variant
        sold_out = [variant for variant in product.variants_list if StockLevel.of(variant).is_sold_out]
        gallery = product_gallery(product, variant=selected)
        image_urls = [self.request.build_absolute_uri(image.image.url) for image in gallery]
        description = product_description(product, site_name=settings.SITE_NAME)
        return super().get_context_data(
            gallery=gallery,
            cart_max_quantity=settings.CART_MAX_QUANTITY,
            option_pickers=product_option_pickers(product, product.variants_list, selected),
            stock=StockLevel.of(selected),
            seo_description=description,
            seo_image=image_urls[0] if image_urls else "",
            product_json_ld=product_json_ld(
                product,
                prices=product.prices_for_sale,
                sold_out_variant_ids={variant.pk for variant in sold_out},
                image_urls=image_urls,
                url=settings.SHOP_BASE_URL + self.request.path,
                description=description,
            ),
            **kwargs,
        )


@require_POST
def back_in_stock_signup(request, slug):
    """Put the shopper on a sold-out variant's list, to be emailed once when it is back."""
    product = get_object_or_404(Product.objects.for_sale(), slug=slug)
    form = BackInStockForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
        return redirect(product)
    variant = get_object_or_404(Variant, pk=form.cleaned_data["variant_id"], product=product)
    back_in_stock_request_create(variant=variant, email=form.cleaned_data["email"])
    # The same answer whether or not the address was on the list already: it tells no one who waits.
    messages.success(request, "Thank you: we will email you once, when it is back in stock.")
    options = f"?{urlencode(variant.option_values)}" if variant.option_values else ""
    return redirect(product.get_absolute_url() + options)
