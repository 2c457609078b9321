from django.urls import path, re_path

from pages import views
from pages.models import PageSlug

app_name = "pages"

# /contact/, /shipping/, ...: only the shop's pages, so no other top-level path is taken.
urlpatterns = [
    re_path(rf"^(?P<slug>{'|'.join(PageSlug.values)})/$", views.PageDetailView.as_view(), name="detail"),
    path("sitemap.xml", views.sitemap, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
]
