"""Users in the shop's admin: only a SUPER_ADMIN sees them, and only a SUPER_ADMIN changes a role.

An ADMIN holds no permission on this app, auth or allauth's apps (accounts/roles.py), so none of
these pages open for them (the admin answers with its own page saying a super admin is needed); the
checks below still hold if that ever changes.
"""

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount, SocialToken
from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect

from accounts.exceptions import LastSuperAdmin, RoleChangeForbidden
from accounts.forms import AdminLoginForm
from accounts.models import User, UserRole
from accounts.roles import can_change_roles, check_role_change, check_super_admin_remains
from accounts.services import user_delete, user_leave_super_admin


class RoleCheckedFormMixin:
    """Check role and active-flag changes against the user making them (set by UserAdmin.get_form)."""

    changed_by = None

    def clean_role(self):
        role = self.cleaned_data["role"]
        try:
            check_role_change(user=self.instance, new_role=role, changed_by=self.changed_by)
        except RoleChangeForbidden as error:
            raise ValidationError(error.message, code=error.code) from error
        return role

    def clean_is_active(self):
        is_active = self.cleaned_data["is_active"]
        if self.instance.is_active and not is_active:
            try:
                check_super_admin_remains(user=self.instance)
            except LastSuperAdmin as error:
                raise ValidationError(error.message, code=error.code) from error
        return is_active


class ShopUserChangeForm(RoleCheckedFormMixin, UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User


class ShopUserCreationForm(RoleCheckedFormMixin, AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class EmailAddressInline(admin.TabularInline):
    model = EmailAddress
    fields = ("email", "verified", "primary")
    readonly_fields = fields
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False


class SocialAccountInline(admin.TabularInline):
    model = SocialAccount
    verbose_name_plural = "linked accounts"
    fields = ("provider", "uid", "last_login", "date_joined")
    readonly_fields = fields
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = ShopUserChangeForm
    add_form = ShopUserCreationForm
    list_display = ("email", "name", "role", "is_active", "date_joined", "last_login")
    list_filter = ("role", "is_active")
    search_fields = ("email", "name")
    ordering = ("-date_joined",)
    filter_horizontal = ()
    readonly_fields = (
        "is_staff",
        "is_superuser",
        "stripe_customer_id",
        "last_login",
        "date_joined",
        "updated_at",
    )
    inlines = (EmailAddressInline, SocialAccountInline)
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("name", "image")}),
        (
            "Role",
            {
                "fields": ("role", "is_active", "is_staff", "is_superuser"),
                "description": "The role decides everything: staff access and permissions follow it.",
            },
        ),
        ("Stripe", {"fields": ("stripe_customer_id",)}),
        ("Dates", {"fields": ("last_login", "date_joined", "updated_at")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "name", "role", "usable_password", "password1", "password2"),
            },
        ),
    )

    def get_inlines(self, request, obj):
        # A new user has no addresses or linked accounts yet, and neither is added from admin.
        return self.inlines if obj is not None else ()

    def get_readonly_fields(self, request, obj=None):
        readonly_fields = super().get_readonly_fields(request, obj)
        if not can_change_roles(request.user):
            readonly_fields = (*readonly_fields, "role")
        return readonly_fields

    def get_form(self, request, obj=None, **kwargs):
        # get_form builds a new class per request, so the attribute never leaks between users.
        form = super().get_form(request, obj, **kwargs)
        form.changed_by = request.user
        return form

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        # One user at a time, so the last super admin check always runs.
        actions = super().get_actions(request, action_location)
        actions.pop("delete_selected", None)
        return actions

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except LastSuperAdmin as error:
            # Another super admin stepped down between this form's check and its save.
            self.message_user(request, error.message, messages.ERROR)
            return redirect(request.get_full_path())

    def save_model(self, request, obj, form, change):
        if "role" in form.changed_data and not can_change_roles(request.user):
            raise PermissionDenied
        was_super_admin = form.initial.get("role") == UserRole.SUPER_ADMIN and form.initial.get("is_active")
        if change and was_super_admin and (obj.role != UserRole.SUPER_ADMIN or not obj.is_active):
            user_leave_super_admin(user=obj)
        super().save_model(request, obj, form, change)

    def delete_view(self, request, object_id, extra_context=None):
        user = self.get_object(request, unquote(object_id))
        if user is not None and self.has_delete_permission(request, user):
            try:
                check_super_admin_remains(user=user)
            except LastSuperAdmin as error:
                self.message_user(request, error.message, messages.ERROR)
                return redirect("admin:accounts_user_change", user.pk)
        # Django wraps a POST in django.db.transaction.atomic, which does nothing on MongoDB and
        # forbids the backend's own transaction, the one user_delete() runs the cascade in.
        return self._delete_view(request, object_id, extra_context)

    def delete_model(self, request, obj):
        user_delete(user=obj)


# Staff sign in to admin within the same failed-attempt limits as on the shop's page.
admin.site.login_form = AdminLoginForm

# Permissions come from roles alone (accounts/backends.py): groups would grant nothing.
admin.site.unregister(Group)


admin.site.unregister(SocialToken)


@admin.register(SocialToken)
class SocialTokenAdmin(admin.ModelAdmin):
    """Stored OAuth tokens, never displayed: they act as the user at the provider. Delete to revoke."""

    list_display = ("account", "app", "expires_at")
    list_select_related = ("account__user", "app")
    fields = ("account", "app", "expires_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
