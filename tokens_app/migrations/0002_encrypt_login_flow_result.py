"""Encrypt ``LoginFlow.result`` (a resumed create's answer holds the supporter link).

The JSON column cannot be re-typed in place into ciphertext, so the encrypted column is added
beside it, every row copied over (encrypted on save), and the plain one dropped.
"""

import csm_teamviewer.crypto
from django.db import migrations

BATCH = 500


def _copy(apps, *, source: str, target: str) -> None:
    LoginFlow = apps.get_model("tokens_app", "LoginFlow")
    batch = []
    for flow in LoginFlow.objects.only("pk", source).iterator(chunk_size=BATCH):
        setattr(flow, target, getattr(flow, source) or {})
        batch.append(flow)
        if len(batch) == BATCH:
            LoginFlow.objects.bulk_update(batch, [target])
            batch = []
    if batch:
        LoginFlow.objects.bulk_update(batch, [target])


def encrypt_results(apps, schema_editor) -> None:
    _copy(apps, source="result", target="result_encrypted")


def decrypt_results(apps, schema_editor) -> None:
    _copy(apps, source="result_encrypted", target="result")


class Migration(migrations.Migration):
    dependencies = [
        ("tokens_app", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="loginflow",
            name="result_encrypted",
            field=csm_teamviewer.crypto.EncryptedJSONField(blank=True, default=dict),
        ),
        migrations.RunPython(encrypt_results, decrypt_results),
        migrations.RemoveField(model_name="loginflow", name="result"),
        migrations.RenameField(model_name="loginflow", old_name="result_encrypted", new_name="result"),
    ]
