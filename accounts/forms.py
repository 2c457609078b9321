from allauth.account.adapter import get_adapter
from allauth.account.forms import AddEmailForm as AllauthAddEmailForm
from allauth.account.forms import ResetPasswordForm as AllauthResetPasswordForm
from allauth.account.forms import ResetPasswordKeyForm as AllauthResetPasswordKeyForm
from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.account.models import EmailAddress
from allauth.account.utils import filter_users_by_email
from allauth.core import context
from django import forms
from django.contrib import messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError

from accounts.models import User
from accounts.selectors import user_receives_reset_links_at
from accounts.services import user_prove_address
from accounts.tokens import AddressPasswordResetTokenGenerator

# Fields no shopper form offers; a submission carrying one is an attempt to raise a role.
PRIVILEGED_FIELDS = ("role", "is_staff", "is_superuser", "groups", "user_permissions")


class RefusePrivilegedFieldsMixin:
    """Refuse a submission that tries to set a role or staff flag the form does not offer."""

    def clean(self):
        cleaned_data = super().clean()
        if any(name in self.data for name in PRIVILEGED_FIELDS):
            raise ValidationError(
                "Roles cannot be changed here: only a super admin can change a role.",
                code="role_change_forbidden",
            )
        return cleaned_data


class SignupForm(RefusePrivilegedFieldsMixin, AllauthSignupForm):
    name = forms.CharField(
        label="Name", max_length=150, required=False, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )

    field_order = ["email", "name", "password1", "password2"]


class ProfileForm(RefusePrivilegedFieldsMixin, forms.ModelForm):
    class Meta:
        model = User
        fields = ["name", "image"]
        labels = {"image": "Avatar image URL"}
        help_texts = {"image": "An https:// address of a square picture. Leave empty to show your initials."}
        widgets = {"name": forms.TextInput(attrs={"autocomplete": "name"})}

    def clean_image(self):
        image = self.cleaned_data["image"]
        if image and not image.startswith("https://"):
            raise ValidationError("Use an address that starts with https://.", code="avatar_not_https")
        return image


class AdminLoginForm(AdminAuthenticationForm):
    """Admin's sign-in, counted against the same failed attempts as the shop's sign-in page.

    allauth's adapter checks the limit before it tries the password, so once an address has had
    too many failures the right password is refused here as there.
    """

    def clean(self):
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if email is not None and password:
            self.user_cache = get_adapter(self.request).authenticate(
                self.request, email=email, password=password
            )
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class ResetPasswordForm(AllauthResetPasswordForm):
    def clean_email(self):
        email = super().clean_email()
        self.users = [user for user in self.users if user_receives_reset_links_at(user=user, email=email)]
        return email

    def save(self, request, **kwargs):
        """Mail the reset links, each naming the address it goes to."""
        token_generator = AddressPasswordResetTokenGenerator(email=self.cleaned_data["email"])
        return super().save(request, token_generator=token_generator, **kwargs)


class ResetPasswordKeyForm(AllauthResetPasswordKeyForm):
    def save(self):
        """Set the new password; the link proves its address, which may hand the account over.

        Only a link mailed to the account's primary address hands it over (user_prove_address).
        """
        # Read before the new password makes the link's token invalid.
        email = AddressPasswordResetTokenGenerator().address_of(self.user, self.temp_key)
        super().save()
        if email and user_prove_address(user=self.user, email=email):
            # allauth's view passes no request to its forms; its middleware keeps the current one.
            messages.success(
                context.request,
                f"Your email address is now verified: {email} is this account's address. Its other "
                "addresses and linked Google or GitHub sign-ins were removed; connect yours again "
                "from your profile.",
            )


class AddEmailForm(AllauthAddEmailForm):
    def save(self, request):
        """Add the address, or, when another account holds it, say the same and store nothing.

        allauth, hiding that the address is taken, would store it unverified on this account
        too; whoever holds it here could then stand in its owner's way (accounts/adapters.py).
        """
        email = self.cleaned_data["email"]
        if any(user.pk != self.user.pk for user in filter_users_by_email(email)):
            get_adapter(request).add_message(
                request,
                messages.INFO,
                "account/messages/email_confirmation_sent.txt",
                {"email": email, "login": True, "signup": False},
            )
            return EmailAddress(user=self.user, email=email)
        return super().save(request)
