"""Run every notebook's tests (as `nbdev-test` does) and end with a line `N passed, N failed`.

nbdev-test prints no counts, and CI needs them: this runs the same `nbdev.test.test_nb` on each
notebook, in parallel, skipping the cells flagged by `tst_flags` (slow, cuda) unless `--flags` asks
for them, and reports each notebook with its time.

    python tools/test_nbs.py                   # every notebook under nbs/
    python tools/test_nbs.py nbs/00_data.ipynb # some of them
    python tools/test_nbs.py --flags slow      # include the cells marked #| slow

Each notebook runs with a temporary folder of its own as TMPDIR, removed at the end: the tutorials keep their
studies in the temp dir (a reader who runs one again gets the cached study), and a test must neither reuse a study
that an earlier run left there, nor leave one behind.
"""
import argparse, os, shutil, sys, tempfile, time
import multiprocessing as mp
from pathlib import Path
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from nbdev.test import test_nb

def _use_tmpdir(d:str):
    "In a notebook's process: `d` is its temp dir, for `tempfile` and for every process it starts."
    os.environ['TMPDIR'] = tempfile.tempdir = d

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('paths', nargs='*', help='notebooks to test (default: every notebook under nbs/)')
    p.add_argument('--flags', default='', help='space separated test flags to run that are normally skipped (slow, cuda)')
    p.add_argument('--n-workers', type=int, default=min(2, os.cpu_count() or 1))
    a = p.parse_args()
    from nbdev.config import get_config
    cfg = get_config()
    root = cfg.config_path
    files = [Path(f).resolve() for f in a.paths] or sorted(
        f.resolve() for f in cfg.nbs_path.rglob('*.ipynb')
        if not any(part.startswith(('.', '_')) for part in f.relative_to(cfg.nbs_path).parts))
    skip, force = cfg.tst_flags.split(), a.flags.split()
    start, results = time.time(), []
    os.chdir(cfg.nbs_path)  # nbdev-test runs from the notebooks' folder too
    # notebooks run side by side: split the cores between them rather than oversubscribe (torch reads this at start)
    os.environ.setdefault('OMP_NUM_THREADS', str(max(1, (os.cpu_count() or 1) // a.n_workers)))
    # a fresh process per notebook, so no notebook sees another's state (IPython even replaces __main__)
    # (a one-process executor per notebook: its worker is not a daemon, so a notebook may start processes of its own,
    # and this works on Python 3.10, where ProcessPoolExecutor has no max_tasks_per_child)
    timeout = int(cfg.get('cell_timeout', 600)) or None   # per cell, from pyproject's [tool.nbdev] as nbdev-test reads it
    tmp = Path(tempfile.mkdtemp(prefix='compressbias-tests-'))
    def run_one(i, f):
        (d := tmp/f'{i:02d}-{f.stem}').mkdir()
        with ProcessPoolExecutor(1, mp_context=mp.get_context('spawn'), initializer=_use_tmpdir, initargs=(str(d),)) as ex:
            return ex.submit(test_nb, f, skip_flags=skip, force_flags=force, basepath=root, cell_timeout=timeout).result()
    try:
        with ThreadPoolExecutor(a.n_workers) as pool:
            for fn,fut in zip(files, [pool.submit(run_one, i, f) for i,f in enumerate(files)]):
                ok,secs = fut.result()
                print(f"{'PASS' if ok else 'FAIL'}  {fn.relative_to(cfg.nbs_path)}  ({secs:.0f} s)", flush=True)
                results.append(ok)
    finally: shutil.rmtree(tmp, ignore_errors=True)
    passed = sum(results)
    print(f"notebooks tested in {time.time()-start:.0f} s")
    print(f"{passed} passed, {len(results)-passed} failed")
    sys.exit(0 if passed==len(results) and results else 1)

if __name__ == '__main__': main()
