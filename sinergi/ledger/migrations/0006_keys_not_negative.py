"""CHECK constraints: entry indices and tree node keys are never negative.

`Node.key` is `level << 56 | index`; a negative one names no subtree, yet `key >> 56`
reads it as a negative level. `sinergi ledger verify` reports such rows all the same
(an operator with database access can drop a constraint); this keeps them out.

On PostgreSQL each constraint is added NOT VALID (a moment's lock: rows written from
then on are checked) and then validated apart, outside a transaction: VALIDATE reads the
whole table but holds back no append while it does, where a plain ADD CONSTRAINT would
hold back every write of the platform for the length of a scan of a large log. Running
the migration again after an interruption validates a constraint already added. SQLite
copies the table with the constraint (its way of adding one), in one transaction.
"""

from django.db import migrations, models, transaction


class AddCheckWithoutBlocking(migrations.AddConstraint):
    """AddConstraint for a CHECK on one column `column >= 0`; see the module docstring."""

    def __init__(self, model_name, constraint, column):
        super().__init__(model_name, constraint)
        self.column = column

    def deconstruct(self):
        name, args, kwargs = super().deconstruct()
        return name, args, {**kwargs, "column": self.column}

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        connection = schema_editor.connection
        if connection.vendor != "postgresql":
            with transaction.atomic(using=connection.alias):
                super().database_forwards(app_label, schema_editor, from_state, to_state)
            return
        model = to_state.apps.get_model(app_label, self.model_name)
        quote = connection.ops.quote_name
        table, name = model._meta.db_table, self.constraint.name
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM pg_catalog.pg_constraint WHERE conname = %s"
                " AND conrelid = pg_catalog.to_regclass(%s)",
                [name, quote(table)],
            )
            if cursor.fetchone() is None:
                cursor.execute(
                    f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)}"
                    f" CHECK ({quote(self.column)} >= 0) NOT VALID"
                )
            cursor.execute(f"ALTER TABLE {quote(table)} VALIDATE CONSTRAINT {quote(name)}")


class Migration(migrations.Migration):
    atomic = False  # on PostgreSQL, VALIDATE apart from the ADD (see above)

    dependencies = [
        ("ledger", "0005_leaf_hash_index"),
    ]

    operations = [
        AddCheckWithoutBlocking(
            model_name="entry",
            constraint=models.CheckConstraint(
                condition=models.Q(("index__gte", 0)), name="entry_index_not_negative"
            ),
            column="index",
        ),
        AddCheckWithoutBlocking(
            model_name="node",
            constraint=models.CheckConstraint(
                condition=models.Q(("key__gte", 0)), name="node_key_not_negative"
            ),
            column="key",
        ),
    ]
