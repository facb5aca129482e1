"""The audit trail, taken over from sessions_app with its table and rows (state only here).

The table ``sessions_app_auditevent`` was created by sessions_app's migrations; its
``session_id`` column lost its foreign key constraint in sessions_app's 0008, so it is the
plain indexed UUID column this model describes. The content type moves too, so permissions
granted on audit events stay granted.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def move_content_type(apps, schema_editor, old="sessions_app", new="audit"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label=new, model="auditevent").exists():
        ContentType.objects.filter(app_label=old, model="auditevent").update(app_label=new)


def move_content_type_back(apps, schema_editor):
    move_content_type(apps, schema_editor, old="audit", new="sessions_app")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('sessions_app', '0008_auditevent_moves_to_the_shell'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='AuditEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='at')),
                        ('action', models.CharField(choices=[('create', 'Create'), ('email', 'Email'), ('join', 'Join as admin'), ('close', 'Close'), ('login', 'TeamViewer login'), ('disconnect', 'TeamViewer disconnect'), ('expire', 'Expire (cleanup)'), ('sync', 'State sync')], max_length=16, verbose_name='action')),
                        ('incident_id', models.CharField(blank=True, db_index=True, default='', max_length=64, verbose_name='incident')),
                        ('session_id', models.UUIDField(blank=True, db_index=True, null=True, verbose_name='session')),
                        ('session_code', models.CharField(blank=True, default='', max_length=32, verbose_name='session code')),
                        ('outcome', models.CharField(default='ok', max_length=64, verbose_name='outcome')),
                        ('detail', models.TextField(blank=True, default='', verbose_name='detail')),
                        ('via', models.CharField(blank=True, default='', max_length=16, verbose_name='via')),
                        ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'audit event',
                        'verbose_name_plural': 'audit events',
                        'db_table': 'sessions_app_auditevent',
                        'ordering': ['-at'],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
