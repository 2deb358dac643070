"""Memorization and influence estimates at scale, on the CPU: wall time and peak memory of `memorization_scores`,
`influence_scores` and `top_influences` on random arrays of 1,000 models, 5,000 training and 2,000 test examples;
writes the `memorization` section of bench/README.md.

    python bench/bench_memorization.py [--models 1000] [--train 5000] [--test 2000]

Peak memory is what numpy allocates during the call (`tracemalloc`, which numpy reports to), the inputs excluded.
CIFAR-10's figures (50,000 training and 10,000 test examples) are extrapolated from these, not measured.
"""
import argparse, os, sys, tracemalloc, warnings
from pathlib import Path
os.environ.setdefault('OMP_NUM_THREADS', '1')     # one BLAS thread, before numpy starts it (reported by machine())
sys.path.insert(0, str(Path(__file__).parents[1]))
sys.path.insert(0, str(Path(__file__).parent))
warnings.filterwarnings('ignore')
import numpy as np, torch
from compressbias.memorization import memorization_scores, influence_scores, top_influences, _BLOCK
from _report import machine, best_of, write_section

def peak_bytes(f) -> int:
    "The most memory numpy held at once during `f()`, beyond what was held before."
    tracemalloc.start(); tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    try: f(); return tracemalloc.get_traced_memory()[1] - base
    finally: tracemalloc.stop()

def gb(b): return f'{b/1e9:.2f} GB' if b >= 1e8 else f'{b/1e6:.0f} MB'

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--models', type=int, default=1000)
    p.add_argument('--train', type=int, default=5000)
    p.add_argument('--test', type=int, default=2000)
    a = p.parse_args()
    torch.set_num_threads(1)
    m,n,t = a.models,a.train,a.test
    rng = np.random.default_rng(0)
    ins,correct_train,correct_test = rng.random((m, n)) < .5,rng.random((m, n)) < .8,rng.random((m, t)) < .8
    load = os.getloadavg()[0]
    calls = {'`memorization_scores`': lambda: memorization_scores(correct_train, ins),
             '`influence_scores`': lambda: influence_scores(correct_test, ins),
             '`top_influences`, k=1': lambda: top_influences(correct_test, ins, k=1),
             '`top_influences`, k=10': lambda: top_influences(correct_test, ins, k=10)}
    res = {k: (best_of(f, 3), peak_bytes(f)) for k,f in calls.items()}
    scale = 50_000*10_000/(n*t)
    result = 4*n*t                                                  # the float32 [train, test] influences
    inputs32 = 4*m*(n + t)                                          # the inputs as float32, for the matrix product
    rows = [f"| {k} | {s:.2f} s | {gb(b)} |" for k,(s,b) in res.items()]
    t_inf,b_inf = res['`influence_scores`']
    t_top,b_top = res['`top_influences`, k=10']
    md = f"""## Memorization and influence (`bench/bench_memorization.py`)

Machine: {machine()}. Load average when the run started: {load:.1f} on {os.cpu_count()} cores.
Random arrays: {m:,} models, each on a random half of {n:,} training examples, evaluated on {t:,} test examples
(`memorization_scores` on the training examples). Median wall time of 3 calls, one thread; peak memory is what numpy
allocated during one call beyond its inputs (`tracemalloc`).

| call | time | peak memory |
|---|---|---|
{chr(10).join(rows)}

`influence_scores` returns a float32 `[train, test]` array ({gb(result)} here); its peak is {b_inf/result:.2f}x that: the matrix
product's result, which the influences overwrite block by block, the inputs as float32 ({gb(inputs32)}), and blocks of
{_BLOCK:,} elements. `top_influences` never holds a `[train, test]` array: it works through blocks of test examples.

**Extrapolated to CIFAR-10** (not measured): 1,000 models on 50,000 training and 10,000 test examples is {scale:.0f} times the
pairs. Time grows with the pairs (one matrix product with the models as the inner dimension): about {t_inf*scale:.0f} s for
`influence_scores` and {t_top*scale:.0f} s for `top_influences` (k=10) on one thread of this machine. Memory: `influence_scores`
needs its result, {gb(4*50_000*10_000)}, plus the float32 inputs, {gb(4*1000*60_000)}, about {gb(4*50_000*10_000 + 4*1000*60_000 + (b_inf - result - inputs32))} at its peak;
`top_influences` needs the float32 inputs and its blocks, about {gb(4*1000*60_000 + (b_top - inputs32))}.
"""
    print(md)
    write_section('memorization', md)

if __name__ == '__main__': main()
