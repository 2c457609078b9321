from django.urls import re_path

from pages.models import PageSlug
from pages.views import PageDetailView

app_name = "pages"

# /contact/, /shipping/, ...: only the shop's pages, so no other top-level path is taken.
urlpatterns = [
    re_path(rf"^(?P<slug>{'|'.join(PageSlug.values)})/$", PageDetailView.as_view(), name="detail"),
]
