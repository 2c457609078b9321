"""What a role can do on an admin model, read from the admin's own pages."""

from http import HTTPStatus

from django.urls import reverse


def admin_url(model, action, obj=None):
    opts = model._meta
    args = [obj.pk] if action in {"change", "delete"} else []
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{action}", args=args)


def observed_access(client, model, row):
    """Return {action: allowed} for view/add/change/delete and the status of every page requested.

    view: the changelist answers 200. add and delete: their page answers 200. change: the change
    page answers 200 with an editable form (a view-only page answers 200 too, without one).
    """
    statuses = {}
    access = {}
    for action, page in (("view", "changelist"), ("add", "add"), ("change", "change"), ("delete", "delete")):
        response = client.get(admin_url(model, page, row))
        statuses[action] = response.status_code
        access[action] = response.status_code == HTTPStatus.OK
        if action == "change" and access[action]:
            access[action] = bool(response.context["has_change_permission"])
    return access, statuses


def form_data(response):
    """Return the POST data of an admin change or add page, as the browser would submit it unchanged."""
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form.initial.get(name, field.initial)
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management.initial.get(name, 0)
    return data
