"VoG and forgetting costs on a CPU, measured as ratios within one run; writes the `vog` section of bench/README.md."
import sys, os
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parents[1]))
sys.path.insert(0, str(Path(__file__).parent))
import numpy as np, torch
from fastai.vision.all import *
from compressbias.data import teaching_digits, digits_cnn
from compressbias.vog import input_grads, StreamingVoG, fixed_order_dl
from compressbias.forgetting import ForgettingCallback
from _report import machine, best_of, write_section

torch.set_num_threads(1)   # on a small shared machine one thread is the stable choice; reported by machine()
data = teaching_digits(noise=.1)
dls = data.dls(bs=256)
model = digits_cnn().eval()
batches = [(x.as_subclass(Tensor), y.as_subclass(Tensor)) for x,y in fixed_order_dl(dls)]   # 1257 examples, in memory
n = sum(len(x) for x,_ in batches)

def snapshot():
    acc = StreamingVoG(n); i = 0
    for x,y in batches:
        acc.update(slice(i, i+len(x)), input_grads(model, x, y)); i += len(x)

def plain_fwd_bwd():
    for x,y in batches:
        x = x.clone().requires_grad_()
        model(x).gather(1, y[:,None]).sum().backward()
    model.zero_grad()

def per_example():
    for x,y in batches:
        for i in range(len(x)): input_grads(model, x[i:i+1], y[i:i+1])

t_snap,t_plain = best_of(snapshot, 5),best_of(plain_fwd_bwd, 5)
t_loop = best_of(per_example, 1)
# the batched pass is meant to use every core, a loop of single examples cannot: measure both on all cores too
torch.set_num_threads(os.cpu_count())
t_snap_all,t_loop_all = best_of(snapshot, 5),best_of(per_example, 1)
torch.set_num_threads(1)

# memory: the accumulator's own tensors (what grows with K if anything does), and the process's peak resident memory
import resource
def rss_after(k):
    acc = StreamingVoG(n)
    for _ in range(k):
        i = 0
        for x,y in batches: acc.update(slice(i, i+len(x)), input_grads(model, x, y)); i += len(x)
    state = sum(t.numel()*t.element_size() for t in (acc.count, acc.mean, acc.m2))
    return state
state3,state30 = rss_after(3),rss_after(30)
rss3 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
_ = rss_after(30)
rss30 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

N_EPOCH,N_PAIRS = 8,5
def fit(cbs):
    set_seed(0, reproducible=True)
    learn = Learner(data.dls(bs=64), digits_cnn(), metrics=accuracy, cbs=cbs)
    with learn.no_bar(), learn.no_logging(): learn.fit(N_EPOCH, 1e-2)
fit([])   # warm up
# interleaved pairs, so that a slow spell of the machine falls on both sides; the median pair ratio
pairs = [(best_of(lambda: fit([]), 1), best_of(lambda: fit([ForgettingCallback()]), 1)) for _ in range(N_PAIRS)]
fit_ratio = float(np.median([f/p for p,f in pairs]))
t_fit_plain = float(np.median([p for p,_ in pairs]))

load = os.getloadavg()[0]
md = f"""## VoG and forgetting (`bench/bench_vog.py`)

Machine: {machine()}. Load average at the end of the run: {load:.1f} on {os.cpu_count()} cores
({'shared with other jobs: absolute times are noisy, the ratios less so' if load > 1.5 else 'quiet'}).
Set: the {n} training digits, `digits_cnn`, batches of 256, one run, ratios within it.

| measurement | value | target |
|---|---|---|
| VoG snapshot (batched input gradients + Welford update) / plain forward+backward | {t_snap/t_plain:.2f}x ({t_snap*1e3:.0f} ms / {t_plain*1e3:.0f} ms) | <= 1.5x |
| per-example loop / batched snapshot, 1 thread | {t_loop/t_snap:.1f}x faster ({t_loop:.2f} s / {t_snap*1e3:.0f} ms) | >= 10x |
| per-example loop / batched snapshot, {os.cpu_count()} threads | {t_loop_all/t_snap_all:.1f}x faster ({t_loop_all:.2f} s / {t_snap_all*1e3:.0f} ms) | >= 10x |
| accumulator memory, K=30 / K=3 snapshots | {state30/state3:.3f} ({state3/1e6:.2f} MB both) | within 5% |
| process peak RSS after K=3, then after K=30 | {rss3/1024:.0f} MB, {rss30/1024:.0f} MB ({rss30/rss3:.3f}) | within 5% |
| fit with `ForgettingCallback` / plain fit ({N_EPOCH} epochs of about {t_fit_plain:.1f} s in all, median of {N_PAIRS} interleaved pairs) | {fit_ratio:.3f}x | <= 1.03x |
"""
print(md)
write_section('vog', md)
