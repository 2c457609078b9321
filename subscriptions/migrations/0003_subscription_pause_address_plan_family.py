import django_mongodb_backend.fields
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0009_shipping_rates_and_requires_shipping"),
        ("subscriptions", "0002_subscriptionemail_payment_action_required"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="subscription",
            options={
                "ordering": ["-created_at"],
                "permissions": [
                    ("cancel_subscription", "Can cancel subscriptions through Stripe"),
                    ("manage_subscription", "Can pause, skip and resume subscriptions through Stripe"),
                ],
            },
        ),
        migrations.AddField(
            model_name="subscription",
            name="pause_behavior",
            field=models.CharField(blank=True, max_length=20),
        ),
        migrations.AddField(
            model_name="subscription",
            name="pause_resumes_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="subscription",
            name="shipping_name",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="subscription",
            name="shipping_address",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.CreateModel(
            name="PlanFamily",
            fields=[
                (
                    "id",
                    django_mongodb_backend.fields.ObjectIdAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=200)),
                ("products", models.ManyToManyField(related_name="plan_families", to="catalog.product")),
            ],
            options={"verbose_name_plural": "plan families"},
        ),
    ]
