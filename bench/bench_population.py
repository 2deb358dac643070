"""Population machinery: its per-run overhead over a bare fit, and two local processes versus one.

    python bench/bench_population.py [--epochs 6] [--seeds 4]

Targets (issue 6): overhead <= 5% per run; report the speedup of 2 processes on a 2-core machine.
"""
import argparse, os, sys, tempfile, time, warnings
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
import multiprocessing as mp
warnings.filterwarnings('ignore')
sys.path.insert(0, str(Path(__file__).parent))
import torch
from fastai.vision.all import set_seed
from compressbias.population import run_population, digits_learner, fit_one_cycle
from _report import machine, write_section

def bare_fit(seed, epochs):
    "What a user would do without the machinery: seed, build, fit quietly."
    set_seed(seed, reproducible=True)
    learn = digits_learner(colored=True)
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(epochs, 1e-2)

def population(seeds, epochs, executor=None):
    with tempfile.TemporaryDirectory() as d:
        run_population(partial(digits_learner, colored=True), {'dense': []}, seeds=seeds, path=Path(d)/'p',
                       fit=fit_one_cycle(epochs, 1e-2), executor=executor)

def timed(f):
    start = time.perf_counter(); f(); return time.perf_counter() - start

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--epochs', type=int, default=6)
    p.add_argument('--seeds', type=int, default=4)
    a = p.parse_args()
    seeds = list(range(a.seeds))
    load = os.getloadavg()[0]
    bare_fit(0, 1); population([0], 1)   # warm up imports and caches
    # interleave the two so drifts in machine load hit both alike
    bare, pop = [], []
    for s in seeds:
        bare.append(timed(lambda: bare_fit(s, a.epochs)))
        pop.append(timed(lambda: population([s], a.epochs)))
    overhead = sum(pop)/sum(bare) - 1
    threads = torch.get_num_threads()
    one = timed(lambda: population(seeds, a.epochs))
    ctx = mp.get_context('spawn')   # forking a process whose torch threads run can deadlock
    with ProcessPoolExecutor(2, mp_context=ctx, initializer=torch.set_num_threads, initargs=(max(1, threads//2),)) as ex:
        two = timed(lambda: population(seeds, a.epochs, executor=ex))
    md = f"""## Populations (`bench/bench_population.py`)

{machine()}. `digits_cnn` on the coloured teaching digits, {a.epochs} epochs per run, {a.seeds} seeds.

| measurement | result | target |
|---|---|---|
| one run through `run_population` / a bare fit (seeding, building, fitting) | {1+overhead:.3f}x ({sum(pop)/len(pop):.2f} s / {sum(bare)/len(bare):.2f} s per run) | <= 1.05x |
| {a.seeds} runs, sequential ({threads} torch threads) | {one:.1f} s | |
| {a.seeds} runs, `ProcessPoolExecutor(2)`, spawn ({max(1, threads//2)} thread each) | {two:.1f} s: speedup **{one/two:.2f}x** | report |

Load average when the run started: {load:.1f} on {os.cpu_count()} cores. The machinery's cost per run is the
evaluation (`get_preds` on the test split) and one atomic file write. Two processes on two cores gain
little: torch already spreads one small run over both cores, and each spawned worker first spends a few
seconds importing torch and fastai. They pay off with more cores, longer runs, or a cluster.
"""
    write_section('population', md)
    print(md)

if __name__ == '__main__': main()
