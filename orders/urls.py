from django.urls import path

from orders import views

app_name = "orders"

urlpatterns = [
    path("", views.OrderListView.as_view(), name="list"),
    path("link/<str:token>/", views.OrderLinkView.as_view(), name="link"),
    path("<str:number>/", views.OrderDetailView.as_view(), name="detail"),
]
