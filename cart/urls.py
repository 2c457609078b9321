from django.urls import path

from cart import views

app_name = "cart"

urlpatterns = [
    path("", views.CartDetailView.as_view(), name="detail"),
    path("add/", views.cart_add, name="add"),
    path("items/<str:item_id>/update/", views.cart_item_update, name="item_update"),
    path("items/<str:item_id>/remove/", views.cart_item_remove, name="item_remove"),
]
