"""The "Partner support" group: partner staff who look after homeowners.

They may view homeowners, their Podero links and the audit log, and refresh a homeowner's devices.
They may not change devices or accounts unless someone grants that explicitly.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Partner support"
PERMISSIONS = [
    ("accounts", "user", "view_user"),
    ("accounts", "poderolink", "view_poderolink"),
    ("accounts", "user", "refresh_devices"),
    ("devices", "auditentry", "view_auditentry"),
]


def create_group(apps, schema_editor):
    # Permissions are normally created after all migrations ran (post_migrate); make sure they exist now.
    for label in sorted({app for app, _, _ in PERMISSIONS}):
        app_config = apps.get_app_config(label)
        app_config.models_module = True  # a migration state's app has none; create_permissions needs it
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    perms = [
        Permission.objects.get(content_type__app_label=app, content_type__model=model, codename=codename)
        for app, model, codename in PERMISSIONS
    ]
    group.permissions.add(*perms)


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_refresh_devices_permission"),
        ("devices", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
