from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0006_move_image_paths_to_uploads"),
    ]

    operations = [
        migrations.RemoveField(model_name="product", name="image_paths"),
    ]
