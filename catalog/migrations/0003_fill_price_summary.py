from collections import defaultdict

from django.db import migrations

from catalog.models import price_summary_fields


def fill_price_summaries(apps, schema_editor):
    Price = apps.get_model("catalog", "Price")
    Product = apps.get_model("catalog", "Product")
    prices_by_product = defaultdict(list)
    for price in Price.objects.order_by():
        prices_by_product[price.product_id].append(price)
    for product_id, prices in prices_by_product.items():
        Product.objects.filter(pk=product_id).update(**price_summary_fields(prices))


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0002_price_summary"),
    ]

    operations = [
        migrations.RunPython(fill_price_summaries, migrations.RunPython.noop),
    ]
