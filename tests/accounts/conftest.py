import copy

import pytest
import requests

from tests.accounts.oauth import PROVIDER_HOSTS, PROVIDERS, ProviderEndpoints


@pytest.fixture
def providers(settings, monkeypatch):
    """Google and GitHub configured as the environment would, their HTTP endpoints answered in-process."""
    settings.SOCIALACCOUNT_PROVIDERS = copy.deepcopy(PROVIDERS)
    endpoints = ProviderEndpoints()
    network_send = requests.adapters.HTTPAdapter.send

    def send(adapter, request, **kwargs):
        if requests.utils.urlparse(request.url).hostname in PROVIDER_HOSTS:
            return endpoints.respond(request)
        return network_send(adapter, request, **kwargs)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", send)
    return endpoints
