"""The compiler: a parsed model (milkrun.dsl) through its stages, one folder each, in this order:

    model/    check the syntax tree → ModelIR (names, index positions, linearity), before any data
    data/     read tables, data blocks, scenarios and --set → Instance (sets and parameters as arrays)
    build/    Instance → a linopy model (or a SCIP model when nonlinear), whole-array operations
    passes/   transformations of the built model: tours, robust counterparts, fixed designs
    solve/    run HiGHS or SCIP on the built model and read back a Result
    report/   a Result as tables, maps and provenance for people and files

`pipeline.py` runs the stages for one `RunOptions`; `studies/` run the pipeline many times
(Pareto fronts, sweeps, the twin, FePIA); `api/` is the way in from Python (`milkrun.load`);
`lsp/` is the language server for editors; `cli/` is the `milkrun` command. A folder imports only
from folders above it in this list (and from milkrun.dsl); tests/test_imports.py holds that.
"""
