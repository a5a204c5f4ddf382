"""Disclosure control: no published figure from 1 to 4, and no combination of published
tables (totals included) can show that a hidden cell holds fewer than 5.

The checks here do not reuse the module's auditor: they build the attacker's integer
programme from the published tables alone, and for tiny tables enumerate every possibility.
"""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from bot.figures.disclosure import SMALLEST_SHOWN, Base, Publication, TableSpec, protect


def cells_of(base: Base, spec: TableSpec) -> dict[tuple[str, ...], list[int]]:
    positions = [base.dims.index(d) for d in spec.dims]
    fixed = [(base.dims.index(d), v) for d, v in spec.where]
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, key in enumerate(base.keys):
        if all(key[p] == v for p, v in fixed):
            groups.setdefault(tuple(key[p] for p in positions), []).append(i)
    return groups


def attacker_maximum(base: Base, tables: list[TableSpec], publication: Publication,
                     target: list[int]) -> float:
    """The largest total of base cells ``target`` consistent with every published figure,
    knowing that hidden cells are at least 1 (zeros are never hidden)."""
    n = len(base.keys)
    rows, lower, upper = [], [], []
    for spec in tables:
        groups = cells_of(base, spec)
        for key, value in publication.tables[spec.name]:
            row = np.zeros(n)
            row[groups[key]] = 1
            rows.append(row)
            lower.append(1 if value is None else value)
            upper.append(np.inf if value is None else value)
    objective = np.zeros(n)
    objective[target] = -1
    cap = base.counts.sum() + SMALLEST_SHOWN  # keeps it bounded; only lowers the maximum
    result = milp(objective, constraints=LinearConstraint(np.array(rows), lower, upper),
                  integrality=np.ones(n), bounds=Bounds(0, cap))
    assert result.status == 0, result.message
    return -result.fun


def check(base: Base, tables: list[TableSpec]) -> Publication:
    publication = protect(base, tables)
    for spec in tables:
        groups = cells_of(base, spec)
        for key, shown in publication.tables[spec.name]:
            true = int(base.counts[groups[key]].sum())
            assert shown is None or shown == true, "a shown figure must be the true count"
            assert shown is None or not 0 < shown < SMALLEST_SHOWN, f"{spec.name}{key} = {shown} shown"
            assert not (shown is None and true == 0), "zeros are never hidden"
            if shown is None and true < SMALLEST_SHOWN:
                best = attacker_maximum(base, tables, publication, groups[key])
                assert best >= SMALLEST_SHOWN, f"{spec.name}{key}: published tables prove < 5"
    return publication


DIMS = ("violation", "region", "perpetrator")


@st.composite
def reports(draw: st.DrawFn) -> tuple[Base, list[TableSpec]]:
    sizes = [draw(st.integers(1, 3)) for _ in DIMS]
    domains = {d: [f"{d[0]}{i}" for i in range(n)] for d, n in zip(DIMS, sizes)}
    keys = list(itertools.product(*domains.values()))
    counts = {key: draw(st.one_of(st.just(0), st.integers(1, 4), st.integers(5, 12)))
              for key in keys}
    marginals = [dims for r in range(len(DIMS) + 1) for dims in itertools.combinations(DIMS, r)]
    chosen = draw(st.lists(st.sampled_from(marginals), min_size=1, max_size=5, unique=True))
    tables = [TableSpec("_".join(dims) or "total", dims) for dims in chosen]
    return Base(DIMS, counts, domains), tables


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reports())
def test_no_combination_of_published_tables_narrows_a_hidden_cell(report) -> None:  # type: ignore[no-untyped-def]
    base, tables = report
    check(base, tables)


def test_a_single_small_cell_with_its_totals_hides_a_rectangle() -> None:
    domains = {"violation": ["extortion", "physical_violence"], "region": ["gauteng", "limpopo"]}
    counts = {("extortion", "gauteng"): 2, ("extortion", "limpopo"): 9,
              ("physical_violence", "gauteng"): 7, ("physical_violence", "limpopo"): 11}
    base = Base(("violation", "region"), counts, domains)
    tables = [TableSpec("by_region", ("violation", "region")), TableSpec("violation", ("violation",)),
              TableSpec("region", ("region",)), TableSpec("total", ())]
    publication = check(base, tables)
    hidden = [key for key, value in publication.tables["by_region"] if value is None]
    assert len(hidden) == 4  # the 2 and its row and column partners, and their corner
    assert publication.value("total", ()) == 29  # the grand total still shows


def test_tiny_tables_against_every_possible_filling() -> None:
    """2 × 2 with margins: enumerate every table the reader could imagine."""
    domains = {"a": ["x", "y"], "b": ["u", "v"]}
    tables = [TableSpec("ab", ("a", "b")), TableSpec("a", ("a",)), TableSpec("b", ("b",))]
    for values in itertools.product([0, 1, 3, 6], repeat=4):
        counts = dict(zip(itertools.product("xy", "uv"), values))
        base = Base(("a", "b"), counts, domains)
        publication = protect(base, tables)
        shown = {(name, key): v for name in publication.tables
                 for key, v in publication.tables[name]}
        for (name, key), value in shown.items():
            if value is not None or name != "ab":
                continue
            true = counts[key]
            if not 0 < true < SMALLEST_SHOWN:
                continue
            # Is there any filling, consistent with everything shown, where this cell >= 5?
            witness = False
            for guess in itertools.product(range(20), repeat=4):
                filled = dict(zip(itertools.product("xy", "uv"), guess))
                if consistent(filled, shown) and filled[key] >= SMALLEST_SHOWN:
                    witness = True
                    break
            assert witness, (values, key)


def consistent(filled: dict[tuple[str, str], int], shown: dict) -> bool:  # type: ignore[type-arg]
    for (name, key), value in shown.items():
        if name == "ab":
            total = filled[key]
        elif name == "a":
            total = sum(n for (a, _b), n in filled.items() if a == key[0])
        else:
            total = sum(n for (_a, b), n in filled.items() if b == key[0])
        if value is None and total < 1 or value is not None and total != value:
            return False
    return True


def test_zero_is_shown_and_a_count_of_five_is_shown() -> None:
    base = Base(("v",), {("a",): 5}, {"v": ["a", "b"]})
    publication = protect(base, [TableSpec("v", ("v",)), TableSpec("total", ())])
    assert publication.as_dict("v") == {("a",): 5, ("b",): 0}


@st.composite
def reach_reports(draw: st.DrawFn) -> tuple[Base, list[TableSpec]]:
    """The peers' shape: codes inside organisations and regions, several metrics, all three
    groupings published together and solved per metric (``split_on``)."""
    codes = [f"C{i}" for i in range(draw(st.integers(1, 4)))]
    places = {code: (draw(st.sampled_from(["orgA", "orgB"])), draw(st.sampled_from(["gp", "wc"])))
              for code in codes}
    metrics = ["new", "returning"][:draw(st.integers(1, 2))]
    universe = [(code, *places[code], metric) for code in codes for metric in metrics]
    counts = {key: draw(st.one_of(st.just(0), st.integers(1, 4), st.integers(5, 12)))
              for key in universe}
    return (Base(("code", "organisation", "region", "metric"), counts, universe=universe),
            [TableSpec(by, (by, "metric")) for by in ("code", "organisation", "region")])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reach_reports())
def test_reach_by_code_organisation_and_region_cannot_be_subtracted(report) -> None:  # type: ignore[no-untyped-def]
    base, tables = report
    check_publication(base, tables, protect(base, tables, split_on=("metric",)))


def check_publication(base: Base, tables: list[TableSpec], publication: Publication) -> None:
    for spec in tables:
        groups = cells_of(base, spec)
        for key, shown in publication.tables[spec.name]:
            true = int(base.counts[groups[key]].sum())
            assert shown is None or (shown == true and not 0 < shown < SMALLEST_SHOWN)
            if shown is None and true < SMALLEST_SHOWN:
                assert attacker_maximum(base, tables, publication, groups[key]) >= SMALLEST_SHOWN
