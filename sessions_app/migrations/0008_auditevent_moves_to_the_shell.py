"""The audit trail moves to the shell (csm_teamviewer.audit) and keeps its table and rows.

First the session foreign key loses its database constraint (an audit row outlives its
session); then sessions_app forgets the model without touching the table, which
audit's 0001_initial takes over, again without touching it.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('sessions_app', '0007_drop_audit_pair_index'),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditevent',
            name='session',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='sessions_app.session'),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='AuditEvent')],
            database_operations=[],
        ),
    ]
