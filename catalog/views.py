from django.conf import settings
from django.core.paginator import Paginator
from django.views.generic import DetailView, TemplateView

from catalog.forms import ProductFilterForm
from catalog.models import Product
from catalog.selectors import product_gallery, product_list_page, product_prices_for_sale
from catalog.seo import product_description, product_json_ld


class ProductListView(TemplateView):
    """The home page: products for sale, searched, filtered, sorted and paginated."""

    template_name = "catalog/product_list.html"
    paginate_by = 24

    def get_context_data(self, **kwargs):
        form = ProductFilterForm(self.request.GET or None)
        filters = form.filters()
        page = product_list_page(
            **filters, page_number=self.request.GET.get("page"), per_page=self.paginate_by
        )
        if form.search_refused:
            # Listing everything would read as if the search had matched it all.
            page = Paginator([], self.paginate_by).page(1)
        filter_query = self.request.GET.copy()
        filter_query.pop("page", None)
        return super().get_context_data(
            form=form,
            filters=filters,
            page_obj=page,
            products=page.object_list,
            filter_query=filter_query.urlencode(),
            **kwargs,
        )


class ProductDetailView(DetailView):
    template_name = "catalog/product_detail.html"
    context_object_name = "product"

    def get_queryset(self):
        return Product.objects.for_sale()

    def get_object(self, queryset=None):
        product = super().get_object(queryset)
        product.prices_for_sale = product_prices_for_sale(product)
        return product

    def get_context_data(self, **kwargs):
        product = self.object
        gallery = product_gallery(product)
        image_urls = [self.request.build_absolute_uri(image.image.url) for image in gallery]
        description = product_description(product, site_name=settings.SITE_NAME)
        return super().get_context_data(
            gallery=gallery,
            cart_max_quantity=settings.CART_MAX_QUANTITY,
            seo_description=description,
            seo_image=image_urls[0] if image_urls else "",
            product_json_ld=product_json_ld(
                product,
                prices=product.prices_for_sale,
                image_urls=image_urls,
                url=settings.SHOP_BASE_URL + self.request.path,
                description=description,
            ),
            **kwargs,
        )
