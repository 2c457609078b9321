from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0005_renewal_orders"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="discount_code",
            field=models.CharField(blank=True, max_length=40),
        ),
    ]
