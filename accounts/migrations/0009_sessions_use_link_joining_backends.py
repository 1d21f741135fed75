"""Stored sessions name the backend that signed the person in; the settings now name accounts.backends'
subclasses of the stock backends (they load the person's Podero link with them). Rename the path in every
stored session, so the change signs nobody out; reversible."""

from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import migrations

from accounts.backends import RENAMED


def _rename(apps, schema_editor, mapping):
    Session = apps.get_model("sessions", "Session")
    codec = SessionStore()  # its class name is the signing salt of the stored data
    for session in Session.objects.using(schema_editor.connection.alias).iterator(chunk_size=500):
        data = codec.decode(session.session_data)
        path = data.get(BACKEND_SESSION_KEY)
        if path in mapping:
            data[BACKEND_SESSION_KEY] = mapping[path]
            session.session_data = codec.encode(data)
            session.save(update_fields=["session_data"])


def forwards(apps, schema_editor):
    _rename(apps, schema_editor, RENAMED)


def backwards(apps, schema_editor):
    _rename(apps, schema_editor, {new: old for old, new in RENAMED.items()})


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0008_user_browser_language_session_generation"),
        ("sessions", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=True)]
