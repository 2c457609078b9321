"""Reach admin pages and actions the way a browser does."""

from urllib.parse import urlencode

from django.urls import reverse


def changelist_url(model, **params):
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    return f"{url}?{urlencode(params)}" if params else url


def change_url(obj):
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def run_action(client, model, action, objects, **extra):
    """Post an admin action on `objects` from the model's changelist."""
    return client.post(
        changelist_url(model),
        {"action": action, "_selected_action": [str(obj.pk) for obj in objects], **extra},
        follow=True,
    )


def result_pks(response):
    """Return the primary keys listed on a changelist page, as strings."""
    return {str(obj.pk) for obj in response.context["cl"].result_list}


def messages_of(response):
    return [str(message) for message in response.context["messages"]]
