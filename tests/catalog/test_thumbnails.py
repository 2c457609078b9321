"""Thumbnails of an uploaded picture are made by the worker after the upload, never in a request;
a picture of more than 40 megapixels is refused with a message saying so."""

import re

import pytest
from django.urls import reverse
from sorl.thumbnail.models import KVStore

from catalog.models import Product, ProductImage
from jobs.models import TaskRecord
from jobs.worker import Worker
from tests import factories
from tests.admin.test_catalog_admin import _product_form
from tests.images import png_upload

PLACEHOLDER = "/static/catalog/placeholder.svg"


@pytest.fixture
def staff(client, db):
    client.force_login(factories.SuperAdminFactory())
    return client


@pytest.fixture
def mongodb_tasks(settings, db):
    settings.TASKS = {"default": {"BACKEND": "jobs.backend.MongoDBTaskBackend"}}
    settings.PERIODIC_TASKS = {}


def card_src(client):
    return re.search(
        r'class="product-card-image" src="([^"]+)"', client.get(reverse("catalog:product_list")).text
    )[1]


def test_a_new_picture_shows_the_placeholder_until_the_worker_made_its_thumbnails(client, mongodb_tasks):
    price = factories.PriceFactory(product__name="Mug")
    image = factories.ProductImageFactory(product=price.product, image__width=1200, image__height=900)
    [task] = TaskRecord.objects.filter(task_path="catalog.tasks.product_image_thumbnails_make")
    assert task.kwargs == {"name": image.image.name}

    # The shopper's pages made nothing: they show the placeholder, and no thumbnail is stored.
    assert card_src(client) == PLACEHOLDER
    assert f'src="{PLACEHOLDER}"' in client.get(price.product.get_absolute_url()).text
    assert not KVStore.objects.exists()

    assert Worker(periodic=False).run_one() is True

    src = card_src(client)
    assert src.startswith("/media/")
    assert src != image.image.url
    assert PLACEHOLDER not in client.get(price.product.get_absolute_url()).text


def test_staff_uploading_a_picture_queue_its_thumbnails(staff, mongodb_tasks):
    form = _product_form(
        "Mug",
        images=[{"image": png_upload("mug.png", size=(1200, 900)), "alt_text": "A mug", "position": "0"}],
    )

    staff.post(reverse("admin:catalog_product_add"), form)

    image = ProductImage.objects.get()
    [task] = TaskRecord.objects.filter(task_path="catalog.tasks.product_image_thumbnails_make")
    assert task.kwargs == {"name": image.image.name}
    assert not KVStore.objects.exists()


def test_a_picture_of_more_than_40_megapixels_is_refused_with_its_size(staff):
    huge = png_upload("huge.png", size=(8000, 5200), color="white")
    form = _product_form("Poster", images=[{"image": huge, "alt_text": "A poster", "position": "0"}])

    response = staff.post(reverse("admin:catalog_product_add"), form)

    assert response.status_code == 200
    assert (
        "This picture is 8000 × 5200 pixels (41.6 megapixels); upload one of at most 40 megapixels."
        in response.text
    )
    assert not Product.objects.filter(name="Poster").exists()


def test_a_picture_of_40_megapixels_is_taken(staff, mongodb_tasks):
    fits = png_upload("fits.png", size=(8000, 5000), color="white")
    form = _product_form(
        "Poster",
        images=[{"image": fits, "alt_text": "A poster", "position": "0"}],
        prices=[{"unit_amount": "18.00"}],
    )

    staff.post(reverse("admin:catalog_product_add"), form)

    assert ProductImage.objects.filter(product__name="Poster").exists()
