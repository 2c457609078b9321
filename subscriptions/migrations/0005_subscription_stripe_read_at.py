from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("subscriptions", "0004_subscription_paid_items"),
    ]

    operations = [
        migrations.AddField(
            model_name="subscription",
            name="stripe_read_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
