from django.contrib.auth.management import create_permissions
from django.db import migrations

CATALOGUE_MODELS = ["contraindication", "exercise", "routine", "routinestep"]


def create_group(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure the
    # catalogue's exist before the group refers to them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Content editors")
    group.permissions.set(
        Permission.objects.filter(
            content_type__app_label="exercises", content_type__model__in=CATALOGUE_MODELS
        )
    )


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Content editors").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_completed_sessions"),
        ("exercises", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
