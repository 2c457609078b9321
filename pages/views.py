from django.views.generic import DetailView

from pages.models import Page


class PageDetailView(DetailView):
    model = Page
    template_name = "pages/page_detail.html"
    context_object_name = "page"
