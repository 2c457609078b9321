from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0007_order_paid_and_shipped_at_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="orderitem",
            name="variant_name",
            field=models.CharField(blank=True, max_length=200, verbose_name="variant"),
        ),
    ]
