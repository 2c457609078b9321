from django.urls import path

from orders import views

app_name = "orders"

urlpatterns = [
    path("", views.OrderListView.as_view(), name="list"),
    path("link/<str:token>/", views.OrderLinkView.as_view(), name="link"),
    path("download/<str:token>/", views.OrderItemDownloadView.as_view(), name="download"),
    path("<str:number>/", views.OrderDetailView.as_view(), name="detail"),
]
