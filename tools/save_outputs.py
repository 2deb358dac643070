"""Run notebooks and keep their outputs, tidied for readers (the outputs that teach: tables, plots).

    python tools/save_outputs.py nbs/00_data.ipynb [more notebooks]

Runs each notebook as nbdev-test does (skipping `#| slow` and `#| cuda` cells), writes the outputs back
with figures as plain PNG at the figure's own size (execnb's default, 'retina', stores twice the pixels the
page shows, and made notebooks several times larger than what readers see), then tidies them: a progress
bar's `\\r` updates are collapsed to what a terminal would finally show (so fastai's epoch table remains)
and warnings printed to stderr are dropped. Run `nbdev-clean` afterwards.
"""
import json, re, sys
from pathlib import Path

def terminal_text(text:str) -> str:
    "What a terminal shows for `text`: on each line, only what follows the last carriage return."
    lines = [l.rsplit('\r', 1)[-1].rstrip() for l in text.split('\n')]
    return '\n'.join(l for l in lines if l.strip(' █')) + ('\n' if text.endswith('\n') else '')

def tidy_outputs(cell:dict) -> dict:
    outs = []
    for o in cell.get('outputs', []):
        if o.get('output_type') == 'stream':
            if o.get('name') == 'stderr' and re.search(r'Warning\b', ''.join(o['text'])): continue
            text = terminal_text(''.join(o['text']))
            if not text.strip(): continue
            o['text'] = text.splitlines(True)
        outs.append(o)
    if 'outputs' in cell: cell['outputs'] = outs
    return cell

def tidy_nb(path):
    nb = json.loads(Path(path).read_text())
    nb['cells'] = [tidy_outputs(c) for c in nb['cells']]
    Path(path).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')

if __name__ == '__main__':
    from nbdev.config import get_config
    from nbdev.test import test_nb
    from execnb.shell import CaptureShell
    CaptureShell.__init__.__defaults__ = tuple('png' if d == 'retina' else d for d in CaptureShell.__init__.__defaults__)
    cfg = get_config()
    for p in sys.argv[1:]:
        ok,secs = test_nb(Path(p).resolve(), skip_flags=cfg.tst_flags.split(), basepath=cfg.config_path, save=True)
        if not ok: sys.exit(f'{p} failed: outputs not saved')
        tidy_nb(p)
        print(f'{p}: outputs saved ({secs:.0f} s)')
