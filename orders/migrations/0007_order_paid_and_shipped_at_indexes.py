from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0006_order_discount_code"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="order",
            index=models.Index(fields=["paid_at"], name="order_paid_at"),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(fields=["shipped_at"], name="order_shipped_at"),
        ),
    ]
