"""A partial index on the leaf hashes (level 0 of the tree), for proofs asked for by
`leaf_hash=` on the public API: a lookup instead of a read of every leaf.

On PostgreSQL the index is built CONCURRENTLY, outside a transaction: every write of the
platform appends to the ledger, and a plain CREATE INDEX would hold back all of them
while it reads the whole node table of a large log. (A concurrent build that fails
leaves an INVALID index behind; running the migration again drops it and starts over.)
SQLite has no concurrent build; its CREATE INDEX holds the write lock while it builds, as
any SQLite schema change does.
"""

from django.db import migrations, models

NAME = "ledger_node_leaf_hash"
LEAVES = 1 << 56  # Node.key = level << 56 | index: level 0 is every key below this


def create_index(apps, schema_editor):
    connection = schema_editor.connection
    table = connection.ops.quote_name(apps.get_model("ledger", "Node")._meta.db_table)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {NAME}")  # a failed build's
            cursor.execute(
                f"CREATE INDEX CONCURRENTLY {NAME} ON {table} (hash) WHERE key < {LEAVES}"
            )
    else:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {NAME} ON {table} (hash) WHERE key < {LEAVES}"
        )


def drop_index(apps, schema_editor):
    concurrently = " CONCURRENTLY" if schema_editor.connection.vendor == "postgresql" else ""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX{concurrently} IF EXISTS {NAME}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("ledger", "0004_append_function"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(
                    model_name="node",
                    index=models.Index(
                        condition=models.Q(("key__lt", LEAVES)),
                        fields=["hash"],
                        name=NAME,
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(create_index, drop_index)],
        ),
    ]
