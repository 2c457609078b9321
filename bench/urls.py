"""The shop's URLs plus the floor view the benchmark compares every page with."""

from django.urls import path

from bench import views
from shop.urls import handler404, handler500
from shop.urls import urlpatterns as shop_urlpatterns

urlpatterns = [path("bench/floor/", views.floor, name="bench_floor"), *shop_urlpatterns]

__all__ = ["handler404", "handler500", "urlpatterns"]
