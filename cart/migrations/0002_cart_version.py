from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cart", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="cart",
            name="version",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
    ]
