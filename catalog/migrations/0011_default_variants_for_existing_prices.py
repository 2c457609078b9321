"""Give every existing product its default variant (its one item, stock not tracked) and every price it."""

from django.db import migrations


def create_default_variants(apps, schema_editor):
    Product = apps.get_model("catalog", "Product")
    Variant = apps.get_model("catalog", "Variant")
    Price = apps.get_model("catalog", "Price")
    for product in Product.objects.all():
        variant = Variant.objects.filter(product=product, option_key="").first()
        if variant is None:
            variant = Variant.objects.create(
                product=product,
                option_values={},
                option_key="",
                sku=product.slug.upper()[:64],
                track_stock=False,
            )
        Price.objects.filter(product=product, variant__isnull=True).update(variant=variant)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0010_variants_and_collections")]

    operations = [migrations.RunPython(create_default_variants, migrations.RunPython.noop)]
