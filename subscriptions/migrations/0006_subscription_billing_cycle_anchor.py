from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("subscriptions", "0005_subscription_stripe_read_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="subscription",
            name="billing_cycle_anchor",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
