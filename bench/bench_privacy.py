"""Cost of DP-SGD: wall time of a fastai fit with `PrivacyCallback` over the same fit without it, and, as the
anchor, the same ratio for Opacus' own `PrivacyEngine` in a plain PyTorch loop on the same model and data.

Two models: the GroupNorm `digits_cnn` on the teaching digits (what the chapter and tutorials train), and a
ResNet-scale stand-in, fastai's `xresnet18` with GroupNorm (11 M parameters) on random 32x32 images, where
per-example gradients cost the most. Needs Opacus (`pip install "compressbias[privacy]"`).

    python bench/bench_privacy.py

Writes the `privacy` section of bench/README.md.
"""
from __future__ import annotations
import os, statistics, sys, time, warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))
sys.path.insert(0, str(Path(__file__).parent))
import numpy as np, torch
from torch import nn
from torch.utils.data import TensorDataset, DataLoader as TorchDataLoader
from fastai.vision.all import Learner, DataLoaders, DataLoader, CrossEntropyLossFlat, accuracy, set_seed, xresnet18
from opacus import PrivacyEngine
import opacus, fastai
from compressbias.data import teaching_digits, digits_cnn
from compressbias.vog import fixed_order_dl
from compressbias.privacy import PrivacyCallback, batchnorm_to_groupnorm
from _report import machine, write_section

warnings.filterwarnings('ignore')                 # the GroupNorm swap's message, and PyTorch's about backward hooks
torch.set_num_threads(1)                          # on a small shared machine one thread is the stable choice; reported by machine()
SIGMA,C,LR = 1.,1.,1e-2
DIGITS_EPOCHS,DIGITS_BS,REPS = 5,64,3
RESNET_STEPS,RESNET_BS = 3,32

def gn_digits(): return batchnorm_to_groupnorm(digits_cnn())
def gn_resnet(): return batchnorm_to_groupnorm(xresnet18(n_out=10))

def out_of_place(model:nn.Module) -> nn.Module:
    "`model` with its in-place activations computing out of place (Opacus' hooks need it; PrivacyCallback does it itself)."
    for m in model.modules():
        if getattr(m, 'inplace', None) is True: m.inplace = False
    return model

def fastai_fit(make_model, dls, epochs:int, dp:bool) -> float:
    "Seconds of a seeded fastai fit (training and the validation pass of each epoch), with or without `PrivacyCallback`."
    set_seed(0)
    learn = Learner(dls, make_model(), loss_func=CrossEntropyLossFlat(), cbs=[PrivacyCallback(SIGMA, C)] if dp else [])
    with learn.no_bar(), learn.no_logging():
        start = time.perf_counter(); learn.fit(epochs, LR); return time.perf_counter() - start

def torch_loop(make_model, ds, bs:int, epochs:int, dp:bool) -> float:
    "Seconds of a plain PyTorch training loop (Adam, no validation), with or without Opacus' PrivacyEngine (fixed-size shuffled batches, as fastai's)."
    set_seed(0)
    model = out_of_place(make_model())
    opt = torch.optim.Adam(model.parameters(), LR)
    dl = TorchDataLoader(ds, batch_size=bs, shuffle=True, drop_last=True)
    if dp: model,opt,dl = PrivacyEngine(accountant='rdp').make_private(module=model, optimizer=opt, data_loader=dl, noise_multiplier=SIGMA,
                                                                      max_grad_norm=C, poisson_sampling=False)
    start = time.perf_counter()
    for _ in range(epochs):
        for x,y in dl:
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
    return time.perf_counter() - start

def interleaved(runs:dict, reps:int) -> dict:
    "name -> the median of `reps` timings, the runs interleaved so that a slow spell of the machine falls on all of them."
    times = {k: [] for k in runs}
    for _ in range(reps):
        for k,f in runs.items(): times[k].append(f())
    return {k: (statistics.median(v), v) for k,v in times.items()}

def bench() -> dict:
    data = teaching_digits(colored=True)
    dls = data.dls(bs=DIGITS_BS)
    xs,ys = zip(*[(x.as_subclass(torch.Tensor), y.as_subclass(torch.Tensor)) for x,y in fixed_order_dl(dls)])
    digits_ds = TensorDataset(torch.cat(xs), torch.cat(ys))
    res = {'digits': interleaved({
        'fastai': lambda: fastai_fit(gn_digits, dls, DIGITS_EPOCHS, False),
        'fastai + PrivacyCallback': lambda: fastai_fit(gn_digits, dls, DIGITS_EPOCHS, True),
        'torch loop': lambda: torch_loop(gn_digits, digits_ds, DIGITS_BS, DIGITS_EPOCHS, False),
        'torch loop + Opacus PrivacyEngine': lambda: torch_loop(gn_digits, digits_ds, DIGITS_BS, DIGITS_EPOCHS, True)}, REPS)}
    set_seed(0)
    n = RESNET_STEPS*RESNET_BS
    img = TensorDataset(torch.randn(n, 3, 32, 32), torch.randint(0, 10, (n,)))
    rdls = DataLoaders(DataLoader(img, bs=RESNET_BS, shuffle=True, drop_last=True), DataLoader(img, bs=RESNET_BS))
    res['xresnet18'] = interleaved({
        'fastai': lambda: fastai_fit(gn_resnet, rdls, 1, False),
        'fastai + PrivacyCallback': lambda: fastai_fit(gn_resnet, rdls, 1, True),
        'torch loop': lambda: torch_loop(gn_resnet, img, RESNET_BS, 1, False),
        'torch loop + Opacus PrivacyEngine': lambda: torch_loop(gn_resnet, img, RESNET_BS, 1, True)}, 1)
    res['params'] = {k: sum(p.numel() for p in f().parameters()) for k,f in (('digits', gn_digits), ('xresnet18', gn_resnet))}
    res['n_digits'] = len(digits_ds)
    return res

def markdown(res:dict) -> str:
    load = os.getloadavg()[0]
    rows = []
    for model,what in (('digits', f"GroupNorm `digits_cnn` (width 32, {res['params']['digits']:,} parameters), {res['n_digits']} teaching digits, "
                                  f"bs {DIGITS_BS}, {DIGITS_EPOCHS} epochs, median of {REPS} interleaved runs"),
                       ('xresnet18', f"GroupNorm `xresnet18` ({res['params']['xresnet18']:,} parameters), random 32x32 images, bs {RESNET_BS}, "
                                     f"{RESNET_STEPS} steps, one run")):
        t = {k: v[0] for k,v in res[model].items()}
        fa,fp,ta,tp = t['fastai'],t['fastai + PrivacyCallback'],t['torch loop'],t['torch loop + Opacus PrivacyEngine']
        rows.append(f"| {what} | {fa:.2f} s | {fp:.2f} s | {fp/fa:.2f}x | **+{fp-fa:.2f} s** | {ta:.2f} s | {tp:.2f} s | {tp/ta:.2f}x | **+{tp-ta:.2f} s** |")
    return f"""## Differential privacy: `PrivacyCallback` overhead (`bench/bench_privacy.py`)

DP-SGD (sigma {SIGMA}, C {C}, Adam, lr {LR}) against the same training without it. `PrivacyCallback` in a fastai fit, and, as the
anchor, Opacus' own `PrivacyEngine` (its `GradSampleModule` and `DPOptimizer`, fixed-size shuffled batches like fastai's) in a plain
PyTorch loop on the same model and data. Both compute per-example gradients with the same Opacus hooks, so what DP *adds* (in
bold) should be about the same. The ratios differ because the fastai fit costs more to begin with (a validation pass each epoch,
which DP does not slow down, batch transforms, callbacks), so the same added time is a smaller multiple of it.

| model and data | fastai fit | + PrivacyCallback | ratio | DP adds | torch loop | + Opacus | ratio | DP adds |
|---|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

Measured on: {machine()}, fastai {fastai.__version__}, Opacus {opacus.__version__}; load average {load:.1f} when the section was written
({'shared with other jobs: absolute times are noisy, the ratios less so' if load > 1.5 else 'quiet'}).
Per-example gradients cost memory too: a batch holds one gradient per example and parameter (for `xresnet18` at bs {RESNET_BS},
{res['params']['xresnet18']*RESNET_BS*4/2**30:.1f} GiB in fp32), which bounds the batch size on a GPU.
"""

if __name__ == '__main__':
    res = bench()
    md = markdown(res)
    print(md)
    for model in ('digits', 'xresnet18'):
        for k,(med,all_) in res[model].items(): print(model, k, [round(t, 2) for t in all_])
    write_section('privacy', md)
