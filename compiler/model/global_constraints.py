"""Global constraints: constraints a modeller states in one line (`tour(...)`) and the compiler turns
into rows, variables or solver callbacks (passes/tour.py). Here is what the checker needs of them: their
names and the shape of a correct call, checked before any data is read.
"""
from __future__ import annotations

from milkrun.dsl import ast
from milkrun.dsl.diagnostics import MilkrunError, did_you_mean

TOUR_METHODS = ("mtz", "flow", "lazy")
TOUR_GRAPHS = ("directed", "undirected")
TOUR_OPTIONS = ("start", "method", "graph")


class TourSignature:
    """What a tour(...) call must look like; checked with the rest of the model, before any data."""

    usage = ("tour(arcs[*, *, ...], visits[*, ...], start = NODE, method = \"mtz\" | \"flow\" | \"lazy\", "
             "graph = \"directed\" | \"undirected\")")

    def check(self, call: ast.Call, checker, scope) -> None:
        if len(call.args) != 2:
            raise MilkrunError(f"tour() takes the arc variables and the visit variables: {self.usage}", call.span)
        arcs, visits = call.args
        options = {k.name: k.value for k in call.keywords}
        undirected = options.get("graph") == "undirected"
        arc_sets = self._sliced(arcs, 2, checker, scope, "the edges" if undirected else "the arcs", integer=undirected)
        visit_sets = self._sliced(visits, 1, checker, scope, "the visits")
        if arc_sets[0] != arc_sets[1]:
            raise MilkrunError(f"the arcs of a tour run between nodes of one set; the two '*' range over "
                               f"{arc_sets[0]} and {arc_sets[1]}", arcs.span)
        if visit_sets[0] != arc_sets[0]:
            raise MilkrunError(f"the visits range over {visit_sets[0]}, the arcs over {arc_sets[0]}", visits.span)
        names = {k.name for k in call.keywords}
        for k in call.keywords:
            if k.name not in TOUR_OPTIONS:
                raise MilkrunError(f"tour() has no option '{k.name}'", k.span,
                                   hint=did_you_mean(k.name, list(TOUR_OPTIONS)) or self.usage)
            if k.name == "method" and (not isinstance(k.value, str) or k.value not in TOUR_METHODS):
                raise MilkrunError(f"method must be one of {', '.join(repr(m) for m in TOUR_METHODS)}", k.span)
            if k.name == "graph" and (not isinstance(k.value, str) or k.value not in TOUR_GRAPHS):
                raise MilkrunError(f"graph must be one of {', '.join(repr(g) for g in TOUR_GRAPHS)}", k.span)
            if k.name == "method" and k.value == "mtz" and undirected:
                raise MilkrunError("method \"mtz\" orders the stops along directed arcs; with graph = "
                                   "\"undirected\" use \"lazy\" or \"flow\"", k.span)
            if k.name == "start":
                v = k.value
                if isinstance(v, ast.Name) and v.name not in checker.symbols:
                    pass  # start = plant: a bare name is the element itself
                elif isinstance(v, ast.Name):
                    sym = checker.symbols.get(v.name)
                    if not (sym.kind == "param" and (sym.element_param or not sym.positions)):
                        raise MilkrunError(f"start must be a node: an element, or a parameter declared "
                                           f"'in {arc_sets[0]}'", v.span, hint=did_you_mean(v.name, checker.symbols))
                elif not isinstance(v, (ast.Number, str)):
                    raise MilkrunError("start must be a node: an element or a parameter", k.span)
        if "start" not in names:
            raise MilkrunError(f"tour() needs start = NODE (the depot): {self.usage}", call.span)

    def _sliced(self, e, n, checker, scope, what, integer: bool = False) -> list[str]:
        """The sets of the '*' positions. `integer`: undirected edges may be integer (an edge to the
        start driven there and back counts 2)."""
        if not isinstance(e, ast.Subscript):
            raise MilkrunError(f"{what} must be a variable with '*' in {n} position{'s' if n > 1 else ''}",
                               e.span, hint=self.usage)
        sym = checker._lookup(e.name, e.span, scope=scope)
        kinds = ("binary", "integer") if integer else ("binary",)
        if sym.kind != "var" or sym.decl.kind not in kinds:
            raise MilkrunError(f"{what} of a tour must be {' or '.join(kinds)} variables; '{e.name}' is "
                               f"{'a ' + sym.decl.kind + ' variable' if sym.kind == 'var' else 'a ' + sym.kind}",
                               e.span)
        checker._subscripts(sym, e.items, scope, e.span)
        slots = [p.set_label for item, p in zip(e.items, sym.positions) if isinstance(item, ast.Slice)]
        if len(slots) != n:
            raise MilkrunError(f"{what} need '*' in exactly {n} position{'s' if n > 1 else ''}, found "
                               f"{len(slots)}", e.span, hint=self.usage)
        return slots


GLOBAL_CONSTRAINTS = {"tour": TourSignature()}
