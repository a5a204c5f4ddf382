"""Disclosure control: the one place that decides which published counts are hidden.

Every figure Haki publishes (oversight tables, exports, the JSON API, charts, peer
educators' reach) is a *cell*: the sum of some cells of one fine-grained *base* table
(for oversight: violation × region × perpetrator × source, one month). A report is a list
of :class:`TableSpec` marginals of that base, and :func:`protect` decides what is shown.

The rule (docs/oversight.md, "Suppression"):

1. **Primary.** Every published cell from 1 to 4 is hidden. Zero is shown: "nobody" names
   no one, and hiding zeros would only blur the tables.
2. **Secondary.** More cells are hidden until no combination of the published cells (all
   tables of the report at once, totals included) can show that a hidden sensitive cell
   holds fewer than 5. We check this the way an attacker would: an integer programme
   maximises each sensitive cell subject to every shown cell's value, every hidden cell
   being at least 1 (we never hide a zero, and the attacker may know that) and no base
   cell being negative. If the best the attacker can prove is "below 5", we hide more.
3. A hidden cell is shown as ``None`` (JSON null, ``x`` in CSV): primary and secondary
   look the same, so a reader cannot tell which hidden cells are the small ones.

Secondary cells are chosen greedily (the smallest positive neighbour along each dimension
of the table, the classic row/column partner); if that does not settle a cell within a
few rounds, every positive cell overlapping it is hidden, which always works because its
people then appear in no shown figure. Hiding only ever removes information (an equality
``= v`` becomes ``≥ 1``, weaker since v ≥ 1), so a protected cell stays protected.

Callers must publish each base independently and never a figure computed from two bases
(that is why every oversight table is per calendar month, see bot/figures/report.py).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import csr_matrix, vstack

#: Counts from 1 to SMALLEST_SHOWN - 1 are never published.
SMALLEST_SHOWN = 5
#: Greedy rounds before the always-working fallback for a cell.
_GREEDY_ROUNDS = 3

Key = tuple[str, ...]


@dataclass(frozen=True)
class TableSpec:
    """A published table: the base summed over every dimension not in ``dims``.

    ``where`` restricts the table to base cells with those fixed values (for example
    ``(("stage", "outcome"),)``).
    """

    name: str
    dims: tuple[str, ...]
    where: tuple[tuple[str, str], ...] = ()


@dataclass
class Cell:
    table: str
    key: Key
    value: int
    members: tuple[int, ...]
    hidden: bool = False

    @property
    def sensitive(self) -> bool:
        return 0 < self.value < SMALLEST_SHOWN


@dataclass
class Publication:
    """What may be shown: ``tables[name]`` is a list of (key, value or None)."""

    dims: dict[str, tuple[str, ...]]
    tables: dict[str, list[tuple[Key, int | None]]] = field(default_factory=dict)

    def value(self, table: str, key: Key) -> int | None:
        for cell_key, value in self.tables[table]:
            if cell_key == key:
                return value
        raise KeyError((table, key))

    def as_dict(self, table: str) -> dict[Key, int | None]:
        return dict(self.tables[table])


class Base:
    """The fine table: counts per key of ``dims``, over a ``universe`` of possible keys.

    The universe is what a reader considers possible (by default every combination of the
    domains); counts of keys outside it are an error, keys without a count are zero.
    """

    def __init__(self, dims: Sequence[str], counts: Mapping[Key, int],
                 domains: Mapping[str, Sequence[str]] | None = None,
                 universe: Iterable[Key] | None = None) -> None:
        self.dims = tuple(dims)
        if universe is None:
            if domains is None:
                raise ValueError("give the domains of every dimension, or the universe of keys")
            universe = itertools.product(*(tuple(domains[d]) for d in self.dims))
        self.keys: list[Key] = sorted(set(universe) | {k for k, n in counts.items() if n})
        self.index = {key: i for i, key in enumerate(self.keys)}
        self.counts = np.zeros(len(self.keys), dtype=np.int64)
        for key, count in counts.items():
            if count < 0:
                raise ValueError(f"negative count for {key}")
            if count:
                self.counts[self.index[key]] += count


#: Publications already computed in this process, by their exact input. A complete month's
#: figures never change, so a report or API call for months already seen costs nothing.
_CACHE: dict[tuple[object, ...], Publication] = {}
_CACHE_LIMIT = 512


def clear_cache() -> None:
    _CACHE.clear()


def protect(base: Base, tables: Sequence[TableSpec], *, split_on: Sequence[str] = ()) -> Publication:
    """:func:`protect_uncached`, remembered per exact input (same counts, same tables)."""
    key = (base.dims, tuple(base.keys), base.counts.tobytes(), tuple(tables), tuple(split_on))
    found = _CACHE.get(key)
    if found is None:
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.clear()
        found = _CACHE[key] = protect_uncached(base, tables, split_on=split_on)
    # Callers get their own copy: a publication is a plain structure they may filter.
    return Publication(dims=dict(found.dims),
                       tables={name: list(cells) for name, cells in found.tables.items()})


def protect_uncached(base: Base, tables: Sequence[TableSpec], *,
                     split_on: Sequence[str] = ()) -> Publication:
    """Compute every table of the report from ``base`` and hide what must be hidden.

    ``split_on`` names dimensions every table keeps (in ``dims`` or ``where``): no figure
    adds across their values, so each slice is an independent problem, solved on its own
    (much smaller programmes; the same result as solving them together).
    """
    if split_on:
        return _protect_slices(base, tables, tuple(split_on))
    cells = _cells(base, tables)
    for cell in cells:
        cell.hidden = cell.sensitive
    _secondary(base, tables, cells)
    publication = Publication(dims={spec.name: spec.dims for spec in tables})
    for spec in tables:
        publication.tables[spec.name] = [(c.key, None if c.hidden else c.value)
                                         for c in cells if c.table == spec.name]
    return publication


def _protect_slices(base: Base, tables: Sequence[TableSpec], split_on: tuple[str, ...]) -> Publication:
    for spec in tables:
        kept = set(spec.dims) | {d for d, _ in spec.where}
        if not set(split_on) <= kept:
            raise ValueError(f"table {spec.name!r} adds across {split_on}: cannot split on them")
    positions = [base.dims.index(d) for d in split_on]
    slices: dict[Key, list[Key]] = {}
    for key in base.keys:
        slices.setdefault(tuple(key[p] for p in positions), []).append(key)
    merged = Publication(dims={spec.name: spec.dims for spec in tables},
                         tables={spec.name: [] for spec in tables})
    for value, keys in sorted(slices.items()):
        counts = {key: int(base.counts[base.index[key]]) for key in keys}
        fixed = dict(zip(split_on, value))
        # A table whose ``where`` excludes this slice has no cells in it.
        specs = [spec for spec in tables if all(fixed.get(d, v) == v for d, v in spec.where)]
        part = protect(Base(base.dims, counts, universe=keys), specs)
        for name, cells in part.tables.items():
            merged.tables[name].extend(cells)
    for name in merged.tables:
        merged.tables[name].sort(key=lambda item: item[0])
    return merged


def _cells(base: Base, tables: Sequence[TableSpec]) -> list[Cell]:
    cells: list[Cell] = []
    names = set()
    for spec in tables:
        if spec.name in names:
            raise ValueError(f"two tables named {spec.name!r}")
        names.add(spec.name)
        positions = [base.dims.index(d) for d in spec.dims]
        fixed = [(base.dims.index(d), v) for d, v in spec.where]
        groups: dict[Key, list[int]] = {}
        for i, key in enumerate(base.keys):
            if all(key[p] == v for p, v in fixed):
                groups.setdefault(tuple(key[p] for p in positions), []).append(i)
        for key in sorted(groups):
            members = tuple(groups[key])
            cells.append(Cell(spec.name, key, int(base.counts[list(members)].sum()), members))
    return cells


def _secondary(base: Base, tables: Sequence[TableSpec], cells: list[Cell]) -> None:
    auditor = _Auditor(base, cells)
    specs = {spec.name: spec for spec in tables}
    pending = [c for c in cells if c.sensitive]
    # Every small cell needs its row and column partners in all but freak cases: hide them
    # before the first audit instead of finding that out one programme at a time.
    for cell in pending:
        _hide_partners(cell, cells, len(specs[cell.table].dims))
    rounds: dict[int, int] = {id(cell): 1 for cell in pending}
    while pending:
        unsafe = [c for c in pending if not auditor.safe(c)]
        for cell in unsafe:
            n = rounds[id(cell)] = rounds.get(id(cell), 0) + 1
            width = len(specs[cell.table].dims)
            if n == 1:
                _hide_partners(cell, cells, width)
            elif n == 2:  # complete the rectangle: partners of the partners
                for other in _same_table(cell, cells):
                    if other.hidden and other is not cell and _shares_coordinate(other, cell):
                        _hide_partners(other, cells, width)
            elif n == 3:
                _hide_in_margins(cell, cells)
            else:
                _hide_everything_overlapping(cell, cells)
        pending = unsafe


def _same_table(cell: Cell, cells: list[Cell]) -> list[Cell]:
    return [c for c in cells if c.table == cell.table]


def _shares_coordinate(a: Cell, b: Cell) -> bool:
    return any(x == y for x, y in zip(a.key, b.key))


def _hide_partners(cell: Cell, cells: list[Cell], width: int) -> None:
    """The smallest shown positive neighbour of ``cell`` along each dimension of its table
    (its row and column partners in a two-way table)."""
    for axis in range(width):
        neighbours = [c for c in _same_table(cell, cells) if c is not cell and not c.hidden
                      and c.value > 0
                      and all(c.key[i] == cell.key[i] for i in range(width) if i != axis)]
        if neighbours:
            min(neighbours, key=lambda c: (c.value, c.key)).hidden = True


def _hide_in_margins(cell: Cell, cells: list[Cell]) -> None:
    """For each shown coarser cell containing ``cell``, hide its smallest shown positive
    sibling, so the total cannot be rebuilt from the shown parts."""
    members = set(cell.members)
    for other in cells:
        if other.table != cell.table and not other.hidden and other.value > 0 \
                and members & set(other.members) and len(other.members) > len(cell.members):
            siblings = [c for c in _same_table(other, cells) if c is not other
                        and not c.hidden and c.value > 0]
            if siblings:
                min(siblings, key=lambda c: (c.value, c.key)).hidden = True


def _hide_everything_overlapping(cell: Cell, cells: list[Cell]) -> None:
    positive = {i for i in cell.members}
    for other in cells:
        if not other.hidden and other.value > 0 and positive & set(other.members):
            other.hidden = True


class _Auditor:
    """Can the shown cells prove that ``cell`` is below SMALLEST_SHOWN?"""

    def __init__(self, base: Base, cells: list[Cell]) -> None:
        self.base = base
        self.cells = cells
        # A cap on every base cell keeps the programme bounded; it only lowers the maximum,
        # so a cell found safe under the cap is safe without it.
        self.ceiling = float(base.counts.sum() + SMALLEST_SHOWN)
        self.containing: dict[int, list[Cell]] = {}
        for cell in cells:
            for i in cell.members:
                self.containing.setdefault(i, []).append(cell)

    def safe(self, cell: Cell) -> bool:
        # Cheap and sufficient: a member that no shown cell pins can be as large as we like.
        if any(all(c.hidden for c in self.containing[i]) for i in cell.members):
            return True
        return self.upper_bound(cell) >= SMALLEST_SHOWN

    def upper_bound(self, cell: Cell) -> float:
        """The largest value ``cell`` can take given every shown cell (integer programme).

        Base cells inside a shown zero are fixed at 0 and left out, which keeps the
        programme small for sparse months (most base cells are empty).
        """
        zero = {i for c in self.cells if not c.hidden and c.value == 0 for i in c.members}
        columns = {i: j for j, i in enumerate(sorted(set(range(len(self.base.keys))) - zero))}
        if not any(i in columns for i in cell.members):
            return 0.0
        rows: list[int] = []
        cols: list[int] = []
        lower: list[float] = []
        upper: list[float] = []
        for other in self.cells:
            live = [columns[i] for i in other.members if i in columns]
            if not live:
                continue
            rows.extend([len(lower)] * len(live))
            cols.extend(live)
            lower.append(1.0 if other.hidden else float(other.value))
            upper.append(np.inf if other.hidden else float(other.value))
        n = len(columns)
        matrix = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(lower), n))
        objective = np.zeros(n)
        objective[[columns[i] for i in cell.members if i in columns]] = -1.0  # milp minimises
        lower_array, upper_array = np.array(lower), np.array(upper)
        # The linear relaxation first: it is much faster, its maximum is never below the
        # integer one (so "< 5" settles it), and when its optimum is a whole-number point
        # that point is itself an integer solution (so ">= 5" settles it too). Only a
        # fractional optimum needs the integer programme.
        finite = np.isfinite(upper_array)
        a_ub = vstack([matrix[finite], -matrix]).tocsr()
        b_ub = np.concatenate([upper_array[finite], -lower_array])
        relaxed = linprog(objective, A_ub=a_ub, b_ub=b_ub, bounds=(0, self.ceiling), method="highs")
        if relaxed.status == 0 and relaxed.x is not None:
            if -relaxed.fun < SMALLEST_SHOWN - 1e-6:
                return float(-relaxed.fun)
            if np.allclose(relaxed.x, np.round(relaxed.x), atol=1e-6):
                return float(-relaxed.fun)
        result = milp(objective, constraints=LinearConstraint(matrix, lower_array, upper_array),
                      integrality=np.ones(n), bounds=Bounds(0, self.ceiling))
        if result.status != 0 or result.x is None:
            # Infeasible cannot happen with the true counts; treat anything odd as unsafe.
            return 0.0
        return float(-result.fun)
