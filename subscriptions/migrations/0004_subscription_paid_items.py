from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("subscriptions", "0003_subscription_pause_address_plan_family"),
    ]

    operations = [
        migrations.AddField(
            model_name="subscription",
            name="paid_items",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="subscription",
            name="paid_period_end",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
