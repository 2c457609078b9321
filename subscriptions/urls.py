from django.urls import path

from subscriptions import views

app_name = "subscriptions"

# Each change is posted below the subscription's page, a member's or a guest's signed link.
_CHANGES = {
    "cancel": views.SubscriptionCancelView,
    "resume": views.SubscriptionResumeView,
    "pause": views.SubscriptionPauseView,
    "skip": views.SubscriptionSkipView,
    "unpause": views.SubscriptionUnpauseView,
    "address": views.SubscriptionAddressView,
    "plan": views.SubscriptionPlanView,
    "portal": views.SubscriptionPortalView,
}

urlpatterns = [
    path("", views.SubscriptionListView.as_view(), name="list"),
    path("returned/", views.SubscriptionPortalReturnedView.as_view(), name="portal_returned"),
    path("link/<str:token>/", views.SubscriptionDetailView.as_view(link=True), name="link"),
    *[
        path(f"link/<str:token>/{name}/", view.as_view(link=True), name=f"link_{name}")
        for name, view in _CHANGES.items()
    ],
    path("<str:subscription_id>/", views.SubscriptionDetailView.as_view(), name="detail"),
    *[path(f"<str:subscription_id>/{name}/", view.as_view(), name=name) for name, view in _CHANGES.items()],
]
