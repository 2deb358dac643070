"""Cost of gradual pruning: wall time of a fit with `PruneCallback` (agp) over a dense fit, and over
fasterai's `SparsifyCallback` at the same sparsity and schedule, with final accuracy and sparsity.

Run it standalone from the repository root, in an environment that also has fasterai for the comparison
(fasterai is not a dependency of compressbias; give it its own environment):

    python3 -m venv .venv-fasterai
    .venv-fasterai/bin/pip install fasterai && .venv-fasterai/bin/pip install -e .
    .venv-fasterai/bin/python bench/bench_prune.py

Without fasterai its row says why it is missing. Importable: `bench()` returns the numbers, `markdown()`
formats them. Writes the `prune` section of bench/README.md.
"""
from __future__ import annotations
import os, contextlib, io, statistics, sys, time, warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import torch
from fastai.vision.all import Learner, accuracy, set_seed
from compressbias.data import teaching_digits, digits_cnn
from compressbias.prune import PruneCallback, agp, sparsity_report
from _report import machine, write_section

SPARSITY,START,END,EPOCHS,LR,REPS = .9,.1,.75,5,1e-2,3

def conv_sparsity(model) -> float:
    "Fraction of zeros in the conv weights the model computes with (the layers both callbacks prune)."
    rep = sparsity_report(model)
    conv = rep[rep.type == 'Conv2d']
    return conv.zeros.sum() / conv.params.sum()

def fasterai_cb():
    "fasterai's SparsifyCallback with the same target, window, schedule (cubic agp), scope and criterion."
    from fasterai.sparse.all import SparsifyCallback, Schedule, sched_agp, large_final
    return SparsifyCallback(SPARSITY, 'weight', 'local', large_final, Schedule(sched_agp, start_pct=START, end_pct=END))

def variants() -> dict:
    "name -> a function returning the callbacks of that fit."
    res = {'dense': lambda: [],
           'PruneCallback (every=10, default)': lambda: [PruneCallback(SPARSITY, agp, START, END)],
           'PruneCallback (every=1)': lambda: [PruneCallback(SPARSITY, agp, START, END, every=1)]}
    try:
        fasterai_cb()
        res['fasterai SparsifyCallback'] = fasterai_cb
    except Exception as e: res['fasterai SparsifyCallback'] = e
    return res

def run_fit(dls, make_cbs) -> tuple:
    "One seeded fit: (seconds, accuracy, conv sparsity)."
    set_seed(0)
    learn = Learner(dls, digits_cnn(), metrics=accuracy)
    cbs = make_cbs()
    with learn.no_bar(), learn.no_logging(), contextlib.redirect_stdout(io.StringIO()):  # fasterai prints
        start = time.perf_counter()
        learn.fit_one_cycle(EPOCHS, LR, cbs=cbs)
        secs = time.perf_counter() - start
        acc = learn.validate()[1]
    return secs, acc, conv_sparsity(learn.model)

def bench(reps:int=REPS) -> dict:
    "Interleaved runs of every variant; per variant the median time and the last accuracy and sparsity."
    dls = teaching_digits(seed=0).dls(bs=64)
    vs = variants()
    runnable = {k:v for k,v in vs.items() if not isinstance(v, Exception)}
    times = {k: [] for k in runnable}
    res = {}
    run_fit(dls, lambda: [])   # warm-up (first-call overheads), not timed
    for _ in range(reps):
        for k,f in runnable.items():
            secs,acc,sp = run_fit(dls, f)
            times[k].append(secs); res[k] = dict(acc=acc, sparsity=sp)
    for k in runnable: res[k]['secs'] = statistics.median(times[k]); res[k]['all_secs'] = times[k]
    for k,v in vs.items():
        if isinstance(v, Exception): res[k] = dict(error=f'{type(v).__name__}: {v}')
    return res

def _version(pkg:str) -> str:
    from importlib.metadata import version, PackageNotFoundError
    try: return version(pkg)
    except PackageNotFoundError: return 'not installed'

def markdown(res:dict, threads:int) -> str:
    dense = res['dense']['secs']
    theirs = res['fasterai SparsifyCallback'].get('secs')
    rows = ['| fit | median wall time (s) | / dense | / fasterai | test accuracy | conv sparsity |', '|---|---|---|---|---|---|']
    for k,r in res.items():
        if 'error' in r: rows.append(f'| {k} | not run: {r["error"]} | | | | |'); continue
        vs_f = f'{r["secs"]/theirs:.2f}x' if theirs else 'n/a'
        rows.append(f'| {k} | {r["secs"]:.2f} ({", ".join(f"{s:.2f}" for s in r["all_secs"])}) | {r["secs"]/dense:.2f}x | '
                    f'{vs_f} | {r["acc"]:.4f} | {r["sparsity"]:.4f} |')
    return f"""## Pruning: `PruneCallback` overhead (`bench/bench_prune.py`)

{EPOCHS}-epoch `fit_one_cycle` of `digits_cnn` on `teaching_digits(seed=0)` (bs 64, lr {LR}), seed 0,
target sparsity {SPARSITY} of the three conv layers, cubic (agp) schedule over [{START}, {END}] of the fit,
local magnitude pruning. Runs interleaved, {REPS} of each, median wall time; accuracy and sparsity of the last run.
Targets: PruneCallback / dense <= 1.10x; PruneCallback / fasterai <= 1.0x.
fasterai's callback updates its masks at every step where the schedule moves and re-multiplies the weights
after every step; `PruneCallback` (default `every=10`) updates every 10 steps and applies the mask in the
forward pass; the `every=1` row updates at every step like fasterai.

{chr(10).join(rows)}

Measured on: {machine()}, torch threads {threads}, fastai {_version('fastai')}, fasterai {_version('fasterai')}; load average {os.getloadavg()[0]:.1f} when
the section was written. The ratios come from interleaved runs in one process, so machine speed cancels out.
These figures are from a CPU: on a machine with a GPU, `python bench/bench_prune.py` measures the same rows there.
"""

if __name__ == '__main__':
    warnings.filterwarnings('ignore')
    torch.set_num_threads(1)  # tiny model: one thread is fastest and least disturbed by the other jobs
    res = bench()
    md = markdown(res, torch.get_num_threads())
    print(md)
    write_section('prune', md)
