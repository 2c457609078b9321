"""Static files as production serves them: hashed names, compressed, cached for good by browsers."""

from django.core.management import call_command
from django.templatetags.static import static
from django.test import Client, override_settings

from shop.settings import base


def test_production_serves_static_files_compressed_with_far_future_caching(tmp_path):
    with override_settings(
        STORAGES=base.STORAGES,
        STATIC_ROOT=tmp_path,
        WHITENOISE_USE_FINDERS=False,
        WHITENOISE_AUTOREFRESH=False,
    ):
        call_command("collectstatic", interactive=False, verbosity=0)
        url = static("css/shop.css")
        response = Client().get(url, HTTP_ACCEPT_ENCODING="gzip")

    assert url.startswith("/static/css/shop.")
    assert url != "/static/css/shop.css"  # named by its content
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "max-age=315360000" in response["Cache-Control"]
    assert "immutable" in response["Cache-Control"]
