"""The second pass: references within one object (ParentId, ReportsToId), set once every row of
the object exists, so that a row may name a parent that comes later in the file.

A reference that would close a loop (A → B → A, or longer) is left empty and reported; the rows
are kept. The check walks the chain in memory: for accounts, the parent of every account (a few
megabytes for a hundred thousand accounts); for stakeholders, who can only report to someone of
their own account, the people of a few hundred accounts at a time.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from rapport.accounts.models import MAX_HIERARCHY_DEPTH, Account
from rapport.interchange.salesforce.base import BATCH_SIZE, Mapper, bulk_write, resolve
from rapport.stakeholders.models import MAX_REPORTING_DEPTH, Stakeholder

_GROUPS_PER_BATCH = 500


def _closes_loop(parents: dict[int, int | None], child: int, parent: int, depth: int) -> str | None:
    """Why ``child`` cannot take ``parent`` (a loop, a chain too deep), or None if it can."""
    current: int | None = parent
    for _step in range(depth):
        if current is None:
            return None
        if current == child:
            return _("This would make a loop (it is, directly or not, above this row); left empty.")
        current = parents.get(current)
    return _("The chain above this row is too long; left empty.")


def _apply(
    mapper: Mapper,
    *,
    model: type[Any],
    attname: str,
    column: str,
    pairs: list[tuple[int, int | None, str, int]],
    parents: dict[int, int | None],
    depth: int,
) -> None:
    """Set the references of ``pairs`` (in file order) over the chains in ``parents``."""
    before = dict(parents)
    for child, _parent, _file, _line in pairs:
        parents[child] = None
    wanted: dict[int, int | None] = {}
    for child, parent, file, line in pairs:
        if parent is not None:
            reason = _closes_loop(parents, child, parent, depth)
            if reason is not None:
                mapper.ctx.report.add(file, line, column, reason)
                parent = None
        parents[child] = parent
        wanted[child] = parent
    moved = [child for child, parent in wanted.items() if before.get(child) != parent]
    for start in range(0, len(moved), BATCH_SIZE):
        chunk = moved[start : start + BATCH_SIZE]
        rows = list(model._base_manager.filter(pk__in=chunk))
        for row in rows:
            setattr(row, attname, wanted[row.pk])
        bulk_write(model, ctx=mapper.ctx, created=[], updated=rows, fields=[attname])
        for row in rows:
            mapper.moved(row)


def relink_accounts(mapper: Mapper) -> None:
    """Set each account's parent from ParentId."""
    ctx = mapper.ctx
    parents: dict[int, int | None] = dict(Account.objects.values_list("pk", "parent_id"))
    pairs: list[tuple[int, int | None, str, int]] = []
    for batch in ctx.scratch.pairs(mapper.name, size=BATCH_SIZE):
        known = resolve(
            Account, [id_ for child, parent, _f, _l in batch for id_ in (child, parent) if id_]
        )
        for child, parent, file, line in batch:
            child_pk = known.get(child)
            if child_pk is None:
                continue
            parent_pk = known.get(parent) if parent else None
            if parent and parent_pk is None:
                ctx.report.add(file, line, "ParentId", _missing(parent))
            pairs.append((child_pk, parent_pk, file, line))
        ctx.tick()
    _apply(
        mapper,
        model=Account,
        attname="parent_id",
        column="ParentId",
        pairs=pairs,
        parents=parents,
        depth=MAX_HIERARCHY_DEPTH,
    )


def relink_contacts(mapper: Mapper) -> None:
    """Set each stakeholder's manager from ReportsToId, within the same account only."""
    ctx = mapper.ctx
    for batch in ctx.scratch.pairs(mapper.name, size=BATCH_SIZE):
        known = resolve(
            Stakeholder,
            [id_ for child, parent, _f, _l in batch for id_ in (child, parent) if id_],
            "account_id",
        )
        rows = []
        for child, parent, file, line in batch:
            child_row = known.get(child)
            if child_row is None:
                continue
            child_pk, account_id = child_row
            parent_pk = None
            if parent:
                parent_row = known.get(parent)
                if parent_row is None:
                    ctx.report.add(file, line, "ReportsToId", _missing(parent))
                elif parent_row[1] != account_id:
                    ctx.report.add(
                        file,
                        line,
                        "ReportsToId",
                        _("A person can only report to someone of the same account; left empty."),
                    )
                else:
                    parent_pk = parent_row[0]
            rows.append((account_id, child_pk, parent_pk, file, line))
        ctx.scratch.add_resolved(rows)
        ctx.tick()
    for group in ctx.scratch.resolved_groups(groups_per_batch=_GROUPS_PER_BATCH):
        account_ids = sorted({row[0] for row in group})
        parents: dict[int, int | None] = dict(
            Stakeholder.all_objects.filter(account_id__in=account_ids).values_list(
                "pk", "reports_to_id"
            )
        )
        _apply(
            mapper,
            model=Stakeholder,
            attname="reports_to_id",
            column="ReportsToId",
            pairs=[(child, parent, file, line) for _grp, child, parent, file, line in group],
            parents=parents,
            depth=MAX_REPORTING_DEPTH,
        )


def _missing(id18: str) -> str:
    return _("%(id)s is neither in the export nor imported before; left empty.") % {"id": id18}
