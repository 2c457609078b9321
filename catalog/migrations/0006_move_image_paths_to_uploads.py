"""Move each product's image paths (Product.images, a JSON list) to uploaded ProductImage rows.

A path of the shop's static files that Pillow can read is copied into the default storage; a demo
SVG is replaced by its PNG rendering in catalog/demo_images/ (SVG cannot be thumbnailed); the demo
placeholder is dropped (a product with no image shows it anyway). Its alt text comes from
metadata["image_alts"], else from the product's name. Anything else (https addresses, missing or
unreadable files) cannot be uploaded here: it is kept in metadata["images_to_upload"] for staff,
and listed on the console.
"""

from pathlib import Path

from django.contrib.staticfiles import finders
from django.core.files import File
from django.db import migrations
from PIL import Image, UnidentifiedImageError

DEMO_IMAGES = Path(__file__).resolve().parent.parent / "demo_images"
DEMO_PREFIX = "catalog/demo/"
DEMO_PLACEHOLDER = "catalog/demo/placeholder.svg"


def move_image_paths_to_uploads(apps, schema_editor):
    Product = apps.get_model("catalog", "Product")
    ProductImage = apps.get_model("catalog", "ProductImage")
    for product in Product.objects.order_by("pk"):
        listed = product.image_paths if isinstance(product.image_paths, list) else []
        paths = [path for path in listed if path != DEMO_PLACEHOLDER]
        metadata = dict(product.metadata) if isinstance(product.metadata, dict) else {}
        alts = metadata.pop("image_alts", None)
        if not isinstance(alts, list):
            alts = []
        to_upload = []
        moved = []
        for index, path in enumerate(paths):
            alt_text = _alt_text(product.name, alts, index, len(paths))
            source = _readable_file(path)
            if source is None:
                to_upload.append({"image": path, "alt_text": alt_text})
                continue
            row = ProductImage(product_id=product.pk, alt_text=alt_text, position=index)
            with source.open("rb") as stream:
                row.image.save(source.name, File(stream), save=True)
            moved.append(row.image.name)
        if to_upload:
            metadata["images_to_upload"] = to_upload
            print(f"\n  {product.name}: upload these images in admin: {[item['image'] for item in to_upload]}")
        Product.objects.filter(pk=product.pk).update(
            metadata=metadata, card_image=moved[0] if moved else "", image_paths=[]
        )


def _alt_text(name, alts, index, count):
    if index < len(alts) and isinstance(alts[index], str) and alts[index].strip():
        return alts[index].strip()[:250]
    return name if count == 1 else f"{name}, picture {index + 1} of {count}"[:250]


def _readable_file(path):
    """Return the file to upload for `path`, or None when there is none that Pillow reads."""
    if not isinstance(path, str) or "://" in path or path.startswith("/") or ".." in path.split("/"):
        return None
    if path.startswith(DEMO_PREFIX) and path.endswith(".svg"):
        rendering = DEMO_IMAGES / f"{Path(path).stem}.png"
        return rendering if rendering.is_file() else None
    found = finders.find(path)
    if not found:
        return None
    try:
        with Image.open(found) as image:
            image.verify()
    except (OSError, UnidentifiedImageError):
        return None
    return Path(found)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0005_product_images"),
    ]

    operations = [
        migrations.RunPython(move_image_paths_to_uploads, migrations.RunPython.noop),
    ]
