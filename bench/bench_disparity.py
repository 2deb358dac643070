"""`disparity` with confidence intervals on a large population, on the CPU; writes the `disparity` section of bench/README.md.

    python bench/bench_disparity.py [--examples 50000] [--groups 10] [--models 30]

Target (issue 12): 30 models x 50,000 examples x 10 groups, with intervals, in under 2 s on a CPU.
"30 models" is read both ways here: 15 baseline + 15 compressed (a population of 30), and 30 of each.
"""
import argparse, os, sys, warnings
from pathlib import Path
warnings.filterwarnings('ignore')
sys.path.insert(0, str(Path(__file__).parents[1]))
sys.path.insert(0, str(Path(__file__).parent))
import numpy as np, pandas as pd
from compressbias.population import Population
from compressbias.bias import disparity, group_errors, resolve_groups
from _report import machine, best_of, write_section

def synthetic(n_base, n_comp, n, k, seed=0):
    "A population of predictions on `n` examples in `k` groups; the compressed models err more on the later groups."
    rng = np.random.default_rng(seed)
    targets,groups = rng.integers(0, 10, n),rng.integers(0, k, n)
    def preds(m, right):
        return np.where(rng.random((m, n)) < right, targets, rng.integers(0, 10, (m, n)))
    pop = Population.from_arrays(targets, {'base': preds(n_base, .9), 'comp': preds(n_comp, .87 - .01*groups)}, n_classes=10)
    return pop,groups

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--examples', type=int, default=50_000)
    p.add_argument('--groups', type=int, default=10)
    p.add_argument('--models', type=int, default=30)
    a = p.parse_args()
    n,k,m = a.examples,a.groups,a.models
    load = os.getloadavg()[0]
    rows = []
    for nb,nc in ((m//2, m - m//2), (m, m)):
        pop,groups = synthetic(nb, nc, n, k)
        codes = np.unique(groups, return_inverse=True)[1]
        pb = pop.preds('base')
        t_err = best_of(lambda: group_errors(pb, pop.targets, codes, k), 5)
        t_res = best_of(lambda: resolve_groups(pop, groups), 5)
        # groups as a metadata column indexed by item, in another order than the population's (a CSV of file names)
        meta = pd.Series([f'g{g}' for g in groups], index=[f'img/{i}.png' for i in range(n)]).sample(frac=1, random_state=0)
        items = [f'img/{i}.png' for i in range(n)]
        t_ser = best_of(lambda: resolve_groups(pop, meta, items=items), 5)
        t_t = best_of(lambda: disparity(pop, 'base', 'comp', groups), 5)
        t_b = best_of(lambda: disparity(pop, 'base', 'comp', groups, interval='bootstrap'), 3)
        rows.append((nb, nc, t_err, t_res, t_ser, t_t, t_b))
        print(f'{nb}+{nc} models: group_errors {t_err*1e3:.0f} ms, resolve_groups {t_res*1e3:.0f} ms (Series by file name {t_ser*1e3:.0f} ms), '
              f't {t_t:.2f} s, bootstrap {t_b:.2f} s')
    table = '\n'.join(f"| {nb} + {nc} | {te*1e3:.0f} ms | {tr*1e3:.0f} ms / {ts*1e3:.0f} ms | {tt:.2f} s | {tb:.2f} s | {'yes' if max(tt, tb) < 2 else 'no'} |"
                      for nb,nc,te,tr,ts,tt,tb in rows)
    md = f"""## Disparity with intervals (`bench/bench_disparity.py`)

Machine: {machine()}. Load average when the run started: {load:.1f} on {os.cpu_count()} cores.
A synthetic population (`Population.from_arrays`) of {n:,} examples in {k} groups, 10 classes; median wall
time of 5 calls (3 for the bootstrap). `disparity` first makes each population's `[models, groups]`
matrix of error rates with one matrix product (`group_errors`), then takes every interval on those small
matrices: scipy's t-intervals, or its BCa bootstrap with 9,999 resamples (the default) over models,
vectorised over groups. `disparity` is timed with groups given as an array; resolving them from a
metadata Series keyed by file name, in another order, costs the time in the `resolve_groups` column on top. Target: under 2 s for 30 models x 50,000 examples x 10 groups.

| models (baseline + compressed) | `group_errors`, one population | `resolve_groups`: array / Series keyed by file name | `disparity`, t-intervals | `disparity`, bootstrap | both under 2 s |
|---|---|---|---|---|---|
{table}
"""
    write_section('disparity', md)
    print(md)

if __name__ == '__main__': main()
