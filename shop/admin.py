"""The shop's admin site, its dashboard of panels, and display helpers shared by the apps' admin modules.

The apps add their dashboard panels from their own admin modules (`admin.site.add_dashboard_panel`),
as they register their models, so this module knows none of them.
"""

import functools
import json
from urllib.parse import urlencode

from allauth.decorators import rate_limit
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import ActionLocation
from django.contrib.admin.widgets import AdminSplitDateTime, AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import Truncator

from shop.money import format_money


def _is_id(field, value) -> bool:
    try:
        field.to_python(value)
    except ValidationError:
        return False
    return True


class IdCheckedAutocompleteSelect(AutocompleteSelect):
    """Leave out a submitted value that is not an id: the widget looks its choices up by value."""

    def optgroups(self, name, value, attr=None):
        return super().optgroups(
            name, [item for item in value if _is_id(self.field.target_field, item)], attr
        )


class SplitDateTimeWithoutWarningReference(AdminSplitDateTime):
    """The admin's date and time inputs, without references to elements that may not exist: an
    aria-describedby pointing at the time zone warning, which the admin's script adds only when the
    browser's time zone differs, and a label for the pair's own id."""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        for widget in context["widget"]["subwidgets"]:
            widget["attrs"].pop("aria-describedby", None)
        return context

    def id_for_label(self, id_):
        # The date input: the field's own id names no element (a tabular inline's label points here).
        return f"{id_}_0" if id_ else id_


class IdCheckedAdminMixin:
    """Answer values posing as ids with a message or a form error, not a server error.

    The ObjectId primary key raises on a malformed value where Django's admin filters by it
    unchecked: an action's selection (`pk__in`) and an autocomplete field's current value.
    """

    def response_action(self, request, queryset, action_location=ActionLocation.CHANGE_LIST):
        for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
            if not _is_id(self.opts.pk, value):
                self.message_user(
                    request,
                    f"Nothing was changed: “{Truncator(value).chars(40)}” in the selection is not the "
                    f"id of any {self.opts.verbose_name}. Reload the page and select again.",
                    messages.ERROR,
                )
                return None
        return super().response_action(request, queryset, action_location)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # The form field itself refuses the value ("Select a valid choice"); the widget must not fail first.
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = IdCheckedAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the shop's services write (history, logs, queues): staff read them, never add or edit them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ShopAdminSite(admin.AdminSite):
    site_title = "Shop admin"
    index_title = "Run the shop"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._dashboard_panels = []

    def register(self, model_or_iterable, admin_class=None, **options):
        # Every model admin, the libraries' included, gets the checks (as Django itself subclasses
        # the admin class when given options).
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, IdCheckedAdminMixin):
            admin_class = type(
                admin_class.__name__,
                (IdCheckedAdminMixin, admin_class),
                {"__module__": admin_class.__module__},
            )
        super().register(model_or_iterable, admin_class, **options)

    @property
    def site_header(self):
        return f"{settings.SITE_NAME} admin"

    @method_decorator(rate_limit(action="login"))
    def login(self, request, extra_context=None):
        """Sign in as on the shop's page: the same per-address and per-client limits apply."""
        return super().login(request, extra_context)

    def add_dashboard_panel(self, panel):
        """Show `panel(user)` on the index: a dict of the figures `user` may see, each with a link to
        the list it counts ({} when they may see none). Return `panel`, so this works as a decorator."""
        self._dashboard_panels.append(panel)
        return panel

    def dashboard_context(self, user):
        """Return the figures of every panel that this user may view."""
        context = {}
        for panel in self._dashboard_panels:
            context.update(panel(user))
        return context

    def admin_view(self, view, cacheable=False):
        """Wrap `view` as Django does; a page the user may not open answers with the admin's own page."""

        @functools.wraps(view)
        def refused_in_the_admin(request, *args, **kwargs):
            try:
                return view(request, *args, **kwargs)
            except PermissionDenied:
                return self.permission_denied(request)

        return super().admin_view(refused_in_the_admin, cacheable)

    def permission_denied(self, request):
        """Return the 403 page, with the admin's header and a sentence saying why."""
        if request.user.is_superuser:
            # A super admin holds every permission: the page is closed to everyone.
            reason = (
                "Nobody can do this here: the shop keeps these records itself (orders come from "
                "checkout, Stripe's events from Stripe)."
            )
        else:
            reason = "Only a super admin can open this page. Ask a super admin if you need a change here."
        context = {**self.each_context(request), "title": "You can't open this page", "reason": reason}
        return TemplateResponse(request, "admin/permission_denied.html", context, status=403)

    def index(self, request, extra_context=None):
        """Show the dashboard above the list of models."""
        extra_context = {**(extra_context or {}), "dashboard": self.dashboard_context(request.user)}
        return super().index(request, extra_context)


def url_with_query(url, **params):
    """Return `url` with `params` as its query string: a changelist filtered as a figure counts."""
    return f"{url}?{urlencode(params)}"


def money_display(amount_field, description, *, currency_field="currency"):
    """Return a read-only admin column that shows a minor-unit amount as money ("$19.99")."""

    @admin.display(description=description, ordering=amount_field)
    def column(model_admin, obj):
        return format_money(getattr(obj, amount_field), getattr(obj, currency_field))

    return column


def date_time_display(field, description):
    """Return a read-only admin column of a date and time on two short lines: "6 Dec 2026" over "08:54"."""

    @admin.display(description=description, ordering=field)
    def column(model_admin, obj):
        value = timezone.localtime(getattr(obj, field))
        return format_html("{}<br>{}", date_format(value, "DATE_FORMAT"), date_format(value, "TIME_FORMAT"))

    return column


def pretty_json(value):
    """Render a JSON value read-only, indented, keys sorted."""
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    return format_html('<pre class="shop-json">{}</pre>', text)
