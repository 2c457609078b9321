from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.messages.views import SuccessMessageMixin
from django.urls import reverse_lazy
from django.views.generic import UpdateView

from accounts.forms import ProfileForm
from accounts.models import User
from accounts.selectors import user_email_addresses, user_linked_accounts


class ProfileView(LoginRequiredMixin, SuccessMessageMixin, UpdateView):
    """Show the signed-in user's profile and let them change their name and avatar."""

    form_class = ProfileForm
    template_name = "accounts/user_profile.html"
    success_url = reverse_lazy("accounts:profile")
    success_message = "Your profile was saved."

    def get_object(self, queryset=None):
        # A fresh copy: an invalid form must not rename request.user on the re-rendered page.
        return User.objects.get(pk=self.request.user.pk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["email_addresses"] = user_email_addresses(user=self.request.user)
        context["linked_accounts"] = user_linked_accounts(user=self.request.user)
        return context
