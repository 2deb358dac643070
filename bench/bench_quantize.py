"""Quantization benchmark: QAT training overhead, PTQ speed, and accuracy by bits on the teaching digits.

Run from the repository root: `python bench/bench_quantize.py`. Writes the `quantize` section of bench/README.md.
"""
import os, sys, time, warnings
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1]))
warnings.filterwarnings('ignore')

import pandas as pd, torch
from fastai.vision.all import Learner, accuracy, set_seed
from compressbias.data import teaching_digits, digits_cnn
from compressbias.quantize import QuantizeCallback, quantize_model
from _report import machine, best_of, write_section

BITS = (16, 8, 4, 3, 2)
EPOCHS, LR = 8, 1e-2

def learner(data, cbs=None, seed=0):
    set_seed(seed, reproducible=True)
    return Learner(data.dls(bs=64), digits_cnn(), metrics=accuracy, cbs=cbs)

def fit(learn, epochs):
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(epochs, LR)
    return learn

def acc(learn, model=None):
    if model is not None: learn = Learner(learn.dls, model, loss_func=learn.loss_func, metrics=accuracy)
    with learn.no_bar(), learn.no_logging(): return learn.validate()[1]

def md_table(df):
    "A DataFrame as a markdown table (no tabulate dependency)."
    head = '| ' + ' | '.join([df.index.name, *df.columns]) + ' |\n|' + '---|'*(len(df.columns)+1)
    return head + ''.join(f'\n| {i} | ' + ' | '.join(f'{v:.3f}' for v in r) + ' |' for i,r in zip(df.index, df.values))

def main():
    torch.set_num_threads(min(torch.get_num_threads(), 2))
    data = teaching_digits()

    # 1. QAT fit time over dense fit time, interleaved in one run, median of 3 each
    times = {'dense': [], 'qat4': []}
    for _ in range(3):
        for name,cbs in (('dense', None), ('qat4', QuantizeCallback(4))):
            l = learner(data, cbs)
            start = time.perf_counter(); fit(l, 2); times[name].append(time.perf_counter()-start)
    med = {k: sorted(v)[1] for k,v in times.items()}
    ratio = med['qat4']/med['dense']

    # 2. PTQ of digits_cnn (copy + quantizers + the first quantized weights)
    net = digits_cnn()
    ptq_ms = {b: 1000*best_of(lambda: quantize_model(net, b), n=21) for b in (8, 4)}

    # 3. accuracy by bits: PTQ of one dense model, and QAT at each width with the same recipe
    dense = fit(learner(data), EPOCHS)
    rows = [dict(bits=32, PTQ=acc(dense), QAT=acc(dense))]
    for b in BITS:
        rows.append(dict(bits=b, PTQ=acc(dense, quantize_model(dense.model, b)),
                         QAT=acc(fit(learner(data, QuantizeCallback(b)), EPOCHS))))
    table = pd.DataFrame(rows).set_index('bits')

    md = f"""## Quantization (`bench/bench_quantize.py`)

Measured on: {machine()}; load average {os.getloadavg()[0]:.1f} when the section was written. The
ratio compares fits interleaved in the same run (median of 3 each), so machine speed cancels out.

| measure | value | target |
|---|---|---|
| QAT (4 bits) fit time / dense fit time, `digits_cnn`, 2 epochs | {ratio:.2f}x (dense {med['dense']:.2f} s, QAT {med['qat4']:.2f} s) | <= 1.3x |
| PTQ of `digits_cnn`, `quantize_model(net, 8)` | {ptq_ms[8]:.2f} ms | < 50 ms |
| PTQ of `digits_cnn`, `quantize_model(net, 4)` | {ptq_ms[4]:.2f} ms | < 50 ms |

Test accuracy on `teaching_digits()` (540 test images), one seed (0), `fit_one_cycle({EPOCHS}, {LR})`, bs 64.
PTQ quantizes the dense model's weights (symmetric, per channel; 16 = fp16 round trip); QAT trains a
fresh model with `QuantizeCallback(bits)` from the first batch. Row 32 is the dense fp32 model.

{md_table(table)}
"""
    write_section('quantize', md)
    print(md)

if __name__ == '__main__': main()
