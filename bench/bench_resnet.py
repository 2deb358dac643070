"""ResNet-18 at CIFAR scale: what each compressbias callback adds to a training batch, and what a VoG snapshot costs.

Writes the `resnet` section of bench/README.md. Runs unchanged on a CPU or a GPU (it uses the GPU when torch sees one):

    python bench/bench_resnet.py                  # CPU: 1 torch thread, batches of 64 and of 256
    python bench/bench_resnet.py --bs 256         # GPU: as the tutorials train (mixed precision), batches of 256

`resnet18` (torchvision, `weights=None`, 10 classes) on random 32x32 RGB images held in memory (no download), in fastai
`Learner`s. The measure is the time of a training batch, from fastai's `before_batch` to its `after_batch` (forward,
loss, backward, optimizer step, and every callback's work on the batch; on a GPU synchronized at both ends), taken
inside real fits. The fits of all configurations (plain, each callback alone, all four) run in lockstep, one batch of
each in turn, each in its own thread with only one thread working at a time: a machine that slows down or speeds up
(a shared or virtual one does, by 10 to 15% from one fit to the next) does so for every configuration alike. Each ratio
is taken against the plain fit of the same round; the median over the rounds is reported. A batch's time is the
median over its fit's batches, on a CPU the thread's own CPU time. `PruneCallback` recomputes its masks every `every`=10
steps inside its window (10% to 75% of the fit), so the batches where it does are timed apart and their extra time
spread over the 6.5% of a long fit's batches that pay it.
"""
import argparse, os, sys, time, statistics, threading
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parents[1]))
sys.path.insert(0, str(Path(__file__).parent))
import warnings
warnings.filterwarnings('ignore', message='`torch.jit.script` is deprecated', category=FutureWarning)
import numpy as np, torch, torchvision
from fastai.vision.all import Learner, Callback, TensorImage, accuracy, CrossEntropyLossFlat
from compressbias.data import TeachingData, IndexLookup, build_meta, CIFAR10_CLASSES
from compressbias.prune import PruneCallback, prune_due
from compressbias.quantize import QuantizeCallback
from compressbias.vog import VoGCallback, fixed_order_dl
from compressbias.forgetting import ForgettingCallback
from _report import machine, write_section

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument('--bs', type=int, nargs='+', default=None, help='batch sizes (default: 64 and 256 on a CPU, 256 on a GPU, as the tutorials train)')
p.add_argument('--batches', type=int, default=8, help='training batches per epoch of each timed fit (2 epochs a fit)')
p.add_argument('--reps', type=int, default=3, help='rounds of lockstep fits of every configuration')
p.add_argument('--snapshots', type=int, default=3, help='VoG snapshots (and plain passes) timed, one pair per epoch')
p.add_argument('--threads', type=int, default=1, help='torch threads on a CPU (1: stable on a small shared machine)')
p.add_argument('--no-write', action='store_true', help='print the section, do not write it into bench/README.md')
a = p.parse_args()

cuda = torch.cuda.is_available()
device = torch.device('cuda' if cuda else 'cpu')
if not cuda: torch.set_num_threads(a.threads)
sync = torch.cuda.synchronize if cuda else (lambda: None)
a.bs = a.bs or ([256] if cuda else [64, 256])
# on a GPU, wall time (synchronized); on a CPU with one torch thread, the thread's CPU time: what the work costs, not how
# much of the shared cores other jobs left it (wall time with several threads)
clock = time.perf_counter if cuda or a.threads > 1 else time.thread_time
UPDATE_SHARE = (.75 - .1) / 10   # PruneCallback's defaults: a mask update every 10 steps over 65% of the fit

def random_cifar(n_train:int, n_test:int, seed:int=0) -> TeachingData:
    "Random 32x32 RGB images and labels in memory, as CIFAR-10-shaped `TeachingData` (no download, no image decoding)."
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n_train+n_test, 3, 32, 32, generator=g)
    y = torch.randint(0, 10, (n_train+n_test,), generator=g).numpy()
    meta = build_meta(np.arange(len(y)), y, y, np.arange(len(y)) >= n_train, None)
    return TeachingData(IndexLookup(TensorImage(x)), meta, CIFAR10_CLASSES, dl_kwargs=dict(num_workers=0))

class BatchTimer(Callback):
    "Times each training batch from the first `before_batch` to the last `after_batch` (synchronized on a GPU)."
    order = -1000
    def __init__(self): self.times,self.iters = [],[]
    def before_batch(self):
        if self.training: self.iters.append(self.train_iter); sync(); self._start = clock()

class BatchTimerEnd(Callback):
    order = 1000
    def __init__(self, timer): self.timer = timer
    def after_batch(self):
        if self.training:
            sync(); self.timer.times.append(clock() - self.timer._start)

def learner(data:TeachingData, bs:int, make_cbs=lambda dls: []) -> Learner:
    "A seeded resnet18 Learner on the random images `data`, with the callbacks `make_cbs(dls)` makes."
    torch.manual_seed(0)
    dls = data.dls(bs=bs, device=device)
    learn = Learner(dls, torchvision.models.resnet18(weights=None, num_classes=10), loss_func=CrossEntropyLossFlat(),
                    metrics=accuracy, cbs=make_cbs(dls))
    return learn.to_fp16() if cuda else learn   # as the tutorials train on a GPU; on a CPU autocast would switch itself off

# VoG's per-batch cost is timed with a small scored set (the valid set), its snapshot of the training set below
CONFIGS = {
    'plain': lambda dls: [],
    'PruneCallback(0.9)': lambda dls: [PruneCallback(.9)],
    'QuantizeCallback(8)': lambda dls: [QuantizeCallback(8)],
    'VoGCallback()': lambda dls: [VoGCallback(score_dl=dls.valid, stages='all')],
    'ForgettingCallback()': lambda dls: [ForgettingCallback()],
    'all four': lambda dls: [PruneCallback(.9), QuantizeCallback(8), VoGCallback(score_dl=dls.valid, stages='all'), ForgettingCallback()],
}

class Baton:
    "Lets one of several threads work at a time, in turn: each hands the turn on after every training batch."
    def __init__(self, n:int): self.cv,self.turn,self.left = threading.Condition(),0,list(range(n))
    def wait(self, i:int):
        with self.cv: self.cv.wait_for(lambda: self.turn == i)
    def hand_on(self, i:int, finished:bool=False):
        with self.cv:
            j = self.left.index(i)
            if finished: self.left.remove(i)
            if self.left: self.turn = self.left[(j if finished else j+1) % len(self.left)]
            self.cv.notify_all()

class TakeTurns(Callback):
    "After each training batch, let the next configuration's fit run one."
    order = 1001
    def __init__(self, baton:Baton, i:int): self.baton,self.i = baton,i
    def after_batch(self):
        if self.training: self.baton.hand_on(self.i); self.baton.wait(self.i)

def summarize(learn:Learner, timer:BatchTimer) -> dict:
    "A fit's batch times, split into batches with and without a mask update."
    prune = next((cb for cb in learn.cbs if isinstance(cb, PruneCallback)), None)
    upd = np.array([prune is not None and prune_due(i, prune.t0, prune.t1, prune.every) for i in timer.iters])
    t = np.array(timer.times)
    return dict(steady=float(np.median(t[~upd])), update=float(np.median(t[upd])) if upd.any() else None, n=len(t), n_upd=int(upd.sum()))

def lockstep_fits(data:TeachingData, bs:int, names:list) -> dict:
    "Fit 2 epochs of every configuration in `names`, in lockstep; each one's batch times."
    baton,res,errors = Baton(len(names)),{},[]
    def work(i, name):
        baton.wait(i)
        try:
            timer = BatchTimer()
            learn = learner(data, bs, lambda dls: CONFIGS[name](dls) + [timer, BatchTimerEnd(timer), TakeTurns(baton, i)])
            with learn.no_bar(), learn.no_logging(): learn.fit(2, 1e-3)
            res[name] = summarize(learn, timer)
        except Exception as e: errors.append(e)
        finally: baton.hand_on(i, finished=True)
    threads = [threading.Thread(target=work, args=(i, n)) for i,n in enumerate(names)]
    for t in threads: t.start()
    for t in threads: t.join()
    if errors: raise errors[0]
    return res

start_time = time.time()
runs = {}   # batch size -> configuration -> one summary per round
for bs in a.bs:
    data = random_cifar(bs * a.batches, bs)
    lockstep_fits(data, bs, ['plain'])   # warm up (allocator, first-call costs)
    runs[bs] = {n: [] for n in CONFIGS}
    for r in range(a.reps):
        names = list(CONFIGS)[r % len(CONFIGS):] + list(CONFIGS)[:r % len(CONFIGS)]   # a different configuration goes first each round
        for n,res in lockstep_fits(data, bs, names).items(): runs[bs][n].append(res)
        print(f'batches of {bs}: round {r+1}/{a.reps} done ({time.time()-start_time:.0f} s)', flush=True)

def per_batch(run:dict) -> float:
    "A batch's time in a long fit: the steady batch, plus the mask updates' extra time spread over the share of batches that pay it."
    return run['steady'] + (UPDATE_SHARE * (run['update'] - run['steady']) if run['update'] is not None else 0.)

def summary_rows(runs:dict) -> dict:
    "Per configuration: the median ratios to plain over the rounds, their range, the time per batch."
    rows = {}
    for n in CONFIGS:
        ratios = [per_batch(run) / plain['steady'] for run,plain in zip(runs[n], runs['plain'])]
        steady = [run['steady'] / plain['steady'] for run,plain in zip(runs[n], runs['plain'])]
        upd = [run['update'] / run['steady'] for run in runs[n] if run['update'] is not None]
        rows[n] = dict(ratio=statistics.median(ratios), steady=statistics.median(steady), spread=(min(ratios), max(ratios)),
                       ms=statistics.median(per_batch(run) for run in runs[n]) * 1e3, upd=statistics.median(upd) if upd else None)
    return rows
rows = {bs: summary_rows(r) for bs,r in runs.items()}

# --- a VoG snapshot of the training set against one plain forward and backward pass over it, interleaved at each epoch's end
class PlainPass(Callback):
    "After each epoch, after VoG's snapshot: one forward and backward pass over the same fixed-order training set, timed."
    order = VoGCallback.order + 1
    def __init__(self): self.times = []
    def after_epoch(self):
        dl,model = fixed_order_dl(self.dls),self.model
        model.eval()   # as VoG's snapshot runs (BatchNorm on its running statistics)
        sync(); t = clock()
        for xb,yb in dl:
            with torch.autocast(device.type, enabled=cuda):   # as training runs under to_fp16 on a GPU
                loss = self.loss_func(model(xb), yb)
            loss.backward()
        model.zero_grad(); sync(); self.times.append(clock() - t)

class TimedVoG(VoGCallback):
    "VoGCallback whose snapshots are timed."
    def _snapshot(self, stages):
        sync(); t = clock(); super()._snapshot(stages); sync()
        self.times.append(clock() - t)

vog,plain = TimedVoG(every=1, stages='all'),PlainPass()
vog.times = []
learn = learner(random_cifar(a.bs[0] * a.batches, a.bs[0]), a.bs[0], lambda dls: [vog, plain])
with learn.no_bar(), learn.no_logging(): learn.fit(a.snapshots, 1e-3)
snap_ratios = [s/p for s,p in zip(vog.times, plain.times)]
n_train = a.bs[0] * a.batches
total = time.time() - start_time

load = os.getloadavg()[0]
dev = torch.cuda.get_device_name() if cuda else f'CPU, {torch.get_num_threads()} torch thread(s)'
def table(rows:dict) -> str:
    return '\n'.join(f"| {n} | {r['ms']:.0f} ms | **{r['ratio']:.3f}x** ({r['spread'][0]:.3f} to {r['spread'][1]:.3f}) | {r['steady']:.3f}x | "
                     + (f"{r['upd']:.2f}x a steady batch" if r['upd'] is not None else '') + ' |' for n,r in rows.items())
tables = '\n\n'.join(f"""**Batches of {bs}**

| configuration | per batch | per batch / plain (target for all four: <= 1.15) | steady batch / plain | a batch with a mask update |
|---|---|---|---|---|
{table(r)}""" for bs,r in rows.items())
md = f"""## ResNet-18 at CIFAR scale (`bench/bench_resnet.py`)

Machine: {machine()}. Device: {dev}. Load average at the end of the run: {load:.1f} on {os.cpu_count()} cores
({'shared with other jobs: absolute times are noisy, the ratios less so' if load > 1.5 else 'quiet'}). The run took {total:.0f} s.
`torchvision.models.resnet18(weights=None, num_classes=10)` on random 32x32 RGB images in memory, batches of {' and of '.join(map(str, a.bs))},
{'mixed precision (`to_fp16`)' if cuda else 'fp32'}, Adam (fastai's default), callbacks at their defaults (`PruneCallback(0.9)`: local magnitude, agp,
masks updated every 10 steps; `QuantizeCallback(8)`: per-channel weights from the first batch; `VoGCallback` and `ForgettingCallback`).
A training batch is timed from fastai's `before_batch` to its `after_batch` (data loading excluded; {'synchronized wall time' if cuda else "the thread's CPU time"}), in fits of 2 epochs of {a.batches}
batches; the fits of all six configurations run in lockstep, one batch each in turn (a machine that speeds up or slows down does so
for all of them); {a.reps} rounds, ratios against the plain fit of the same round, median (and range) over them.
*Per batch* spreads `PruneCallback`'s mask updates over the 6.5% of a long fit's batches that pay them; *steady* is a batch without one.

{tables}

| VoG snapshot of the {n_train} training images / one plain forward and backward pass over them (eval mode{', autocast' if cuda else ''}) | target |
|---|---|
| **{statistics.median(snap_ratios):.2f}x** (median of {len(snap_ratios)}: {', '.join(f'{r:.2f}' for r in snap_ratios)}; {statistics.median(vog.times):.2f} s against {statistics.median(plain.times):.2f} s) | <= 1.2x |

To measure the same on a GPU: `python bench/bench_resnet.py --bs 256` on a machine where torch sees one (the script then trains
in mixed precision, as the tutorials do, and synchronizes the GPU around every timed batch).
"""
print(md)
if not a.no_write: write_section('resnet', md)
