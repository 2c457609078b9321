from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from catalog.context_processors import navigation_collections
from catalog.forms import ProductFilterForm
from catalog.models import Product, Variant
from catalog.page_cache import CSRF_TOKEN_MARKER, page_for_request, page_keep, page_lookup
from catalog.product_page import product_page
from catalog.selectors import collection_for_page, collections_for_navigation, product_list_page
from inventory.forms import BackInStockForm
from inventory.services import back_in_stock_request_create


class ProductListView(TemplateView):
    """The home page: products for sale, searched, filtered, sorted and paginated."""

    template_name = "catalog/product_list.html"
    content_template_name = "catalog/product_list_content.html"
    paginate_by = 24
    collection = None

    def get_context_data(self, **kwargs):
        form = ProductFilterForm(self.request.GET or None, collection=self.collection)
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
        # Without a search or kind, the counts are the navigation's, kept a minute in the process.
        filter_collections = navigation_collections()
        if filter_collections and (filters["search"] or filters["kind"]):
            # Each collection's count is what choosing it lists: the products found, not all of them.
            filter_collections = collections_for_navigation(search=filters["search"], kind=filters["kind"])
        context = {
            "form": form,
            "filters": filters,
            "page_obj": page,
            "products": page.object_list,
            "collection": self.collection,
            "filter_collections": filter_collections,
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


class ProductDetailView(TemplateView):
    """A product's page, kept (catalog.product_page): the product's head and content with this
    request's CSRF token and shopper's email put in."""

    template_name = "catalog/product_detail.html"

    def get_context_data(self, **kwargs):
        page = product_page(self.request, self.kwargs["slug"])
        return super().get_context_data(
            product_name=page["product_name"],
            seo=page_for_request(page["seo"], self.request),
            content=page_for_request(page["content"], self.request),
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
    return redirect(variant.get_absolute_url())
