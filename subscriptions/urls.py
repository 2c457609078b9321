from django.urls import path

from subscriptions import views

app_name = "subscriptions"

urlpatterns = [
    path("", views.SubscriptionListView.as_view(), name="list"),
    path("returned/", views.SubscriptionPortalReturnedView.as_view(), name="portal_returned"),
    path("link/<str:token>/", views.SubscriptionLinkView.as_view(), name="link"),
    path("<str:subscription_id>/", views.SubscriptionDetailView.as_view(), name="detail"),
    path("<str:subscription_id>/cancel/", views.SubscriptionCancelView.as_view(), name="cancel"),
    path("<str:subscription_id>/resume/", views.SubscriptionResumeView.as_view(), name="resume"),
    path("<str:subscription_id>/portal/", views.SubscriptionPortalView.as_view(), name="portal"),
]
