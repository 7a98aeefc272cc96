"""The transparency ledger's storage: entries, complete-subtree hashes, checkpoints, witnesses.

Entries and hashes are only ever inserted, never updated or deleted; `sinergi ledger
verify` recomputes everything from the entry bodies and reports the first bad index.
"""

from __future__ import annotations

import base64

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from sinergi.ledger import notes

LEVEL_SHIFT = 56  # Node.key = level << 56 | index: one integer key per subtree
#: The lowest level of the tree whose subtree hashes are stored as Node rows: those of 16
#: entries or more. The leaf hashes are stored with their entries (Entry.leaf_hash), and
#: a subtree of 2, 4 or 8 entries is hashed again from its leaves when a proof needs it
#: (at most 16 leaves per proof edge): an append then writes one row and, once in 16
#: appends, the nodes it completes, instead of three rows each.
LOWEST_STORED_LEVEL = 4


def node_key(level: int, index: int) -> int:
    return (level << LEVEL_SHIFT) | index


class RowKeyField(models.BigIntegerField):
    """A 64-bit primary key that on SQLite is the table's rowid (`INTEGER PRIMARY KEY`).

    Django declares a big integer key as `bigint`, which SQLite keeps apart from the
    rowid: every row then lives in the table's b-tree under a hidden rowid and again in
    a unique index on the key, and every read by key goes through both. Entries and tree
    nodes are written and read by key only, so on SQLite the key is the rowid: one
    b-tree each, about 10% less space, faster appends and reads. Other databases get
    `bigint` as before."""

    def db_type(self, connection: object) -> str | None:
        if getattr(connection, "vendor", None) == "sqlite":
            return "integer"
        return super().db_type(connection)


class Entry(models.Model):
    """One logged event. `body` holds the exact RFC 8785 bytes whose hash is the leaf,
    `leaf_hash` that hash, SHA-256(0x00 ‖ body) (RFC 9162 §2.1.1)."""

    index = RowKeyField(_("index"), primary_key=True)
    kind = models.CharField(_("kind"), max_length=60)
    # A plain id, not a foreign key: the history outlives a deleted partnership.
    partnership_ref = models.BigIntegerField(_("partnership"), null=True, blank=True)
    time = models.DateTimeField(_("time"))
    body = models.BinaryField(_("body"))
    leaf_hash = models.BinaryField(_("leaf hash"), max_length=32)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["index"]
        indexes = [
            models.Index(fields=["partnership_ref", "index"], name="entry_partnership_idx"),
            # Finding an entry by its leaf hash (`?leaf_hash=` on the public proof API)
            # without reading every entry.
            models.Index(fields=["leaf_hash"], name="ledger_entry_leaf_hash"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(index__gte=0), name="entry_index_not_negative"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.index} {self.kind}"


class Node(models.Model):
    """The hash of one complete subtree: 2**level leaves starting at index << level.

    Only levels from LOWEST_STORED_LEVEL up are stored; the leaves are Entry.leaf_hash.
    """

    key = RowKeyField(primary_key=True)
    hash = models.BinaryField(max_length=32)

    class Meta:
        verbose_name = _("tree node")
        verbose_name_plural = _("tree nodes")
        # A negative key names no subtree (`key >> 56` would be a negative level).
        constraints = [
            models.CheckConstraint(condition=models.Q(key__gte=0), name="node_key_not_negative")
        ]

    def __str__(self) -> str:
        return f"({self.key >> LEVEL_SHIFT}, {self.key & ((1 << LEVEL_SHIFT) - 1)})"


class HeadManager(models.Manager["Head"]):
    def current(self) -> Head:
        """The head row, created empty if missing (a fresh or flushed database)."""
        head = self.filter(pk=1).first()
        if head is None:
            try:
                with transaction.atomic():
                    head = self.create(pk=1)
            except IntegrityError:
                head = self.get(pk=1)
        return head

    def locked(self, *, nowait: bool = False) -> Head:
        """The head row under `SELECT … FOR UPDATE` (`NOWAIT`: DatabaseError at once if
        another transaction holds it); call inside a transaction."""
        self.current()
        return self.select_for_update(nowait=nowait).get(pk=1)


class Head(models.Model):
    """The log's current size and right-edge subtree hashes. Appends lock this one row."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    size = models.BigIntegerField(default=0)
    # The roots of the complete subtrees that make up the tree, largest first, 32 bytes each.
    frontier = models.BinaryField(default=b"")

    objects = HeadManager()

    class Meta:
        verbose_name = _("log head")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="head_single_row")]

    def __str__(self) -> str:
        return ngettext("log of %(size)d entry", "log of %(size)d entries", self.size) % {
            "size": self.size
        }


class Checkpoint(models.Model):
    """A signed tree head: a C2SP tlog-checkpoint signed note. Every one is kept."""

    size = models.BigIntegerField(_("tree size"), unique=True)
    root = models.BinaryField(_("root hash"), max_length=32)
    note = models.TextField(_("signed note"))
    created_at = models.DateTimeField(_("issued"), auto_now_add=True)

    class Meta:
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")
        ordering = ["size"]
        get_latest_by = "size"

    def __str__(self) -> str:
        return ngettext(
            "checkpoint of %(size)d entry", "checkpoint of %(size)d entries", self.size
        ) % {"size": self.size}

    @property
    def root_b64(self) -> str:
        return base64.b64encode(bytes(self.root)).decode()

    @property
    def body(self) -> str:
        """The checkpoint text: origin, size and root lines."""
        return self.note.split("\n\n", 1)[0] + "\n"


class Witness(models.Model):
    """A partner's witness: its cosignature/v1 verifier key, registered by staff."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    vkey = models.CharField(_("verifier key"), max_length=300, unique=True)
    organisation = models.ForeignKey(
        "partners.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="witnesses",
    )
    created_at = models.DateTimeField(_("registered"), auto_now_add=True)

    class Meta:
        verbose_name = _("witness")
        verbose_name_plural = _("witnesses")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """The key must be a cosignature/v1 verifier key under this witness's name: the
        log matches cosignatures to witnesses by both, and `ledger verify` and every
        export read every registered key."""
        super().clean()
        try:
            verifier = notes.parse_vkey(self.vkey)
        except notes.NoteError as exc:
            raise ValidationError(
                {
                    "vkey": _("This is not a verifier key (name+key ID+base64 key): %(problem)s.")
                    % {"problem": exc}
                }
            ) from exc
        if verifier.alg != notes.ALG_COSIGNATURE_V1:
            raise ValidationError(
                {"vkey": _("A witness's key must be a cosignature/v1 key (type 0x04).")}
            )
        if self.name and verifier.name != self.name:
            raise ValidationError(
                {
                    "name": _("The name must be the one in the verifier key: %(name)s.")
                    % {"name": verifier.name}
                }
            )


class Cosignature(models.Model):
    """A witness's tlog-cosignature/v1 on one checkpoint."""

    checkpoint = models.ForeignKey(
        Checkpoint, on_delete=models.PROTECT, related_name="cosignatures"
    )
    witness = models.ForeignKey(Witness, on_delete=models.PROTECT, related_name="cosignatures")
    timestamp = models.BigIntegerField(_("signed at (POSIX time)"))
    line = models.TextField(_("signature line"))
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        verbose_name = _("cosignature")
        verbose_name_plural = _("cosignatures")
        constraints = [
            models.UniqueConstraint(
                fields=["checkpoint", "witness"], name="one_cosignature_per_witness"
            )
        ]

    def __str__(self) -> str:
        return gettext("%(witness)s on the %(checkpoint)s") % {
            "witness": self.witness,
            "checkpoint": self.checkpoint,
        }
