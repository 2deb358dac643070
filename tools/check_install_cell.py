"""Check the tutorials' install cell, the first code cell that Colab runs before anything imports compressbias.

    python tools/check_install_cell.py             # the cells agree with each other, the version and the repository
    python tools/check_install_cell.py --fix       # write the expected cell into every tutorial
    python tools/check_install_cell.py --run ENV   # and run the cell as Colab would, in a fresh venv ENV (CI does)

Every tutorial starts with the same cell, differing only in the extras it needs:

    # in Colab: install compressbias (its release from PyPI, or the repository until there is one)
    ! [ -e /content ] && { pip install -Uqq "compressbias>=0.1,<0.2" 2>/dev/null || pip install -Uqq "compressbias @ git+https://github.com/compressbias/compressbias"; }

The version range is the minor series of `compressbias.__version__`, the URL is pyproject's `Repository`, and a tutorial
that uses a module needing an extra (`compressbias.privacy` needs `[privacy]`) asks for it in both branches.
`--run` runs that cell with the most extras any tutorial asks for, outside the repository and in a fresh virtual
environment, with the repository's URL replaced by this checkout (`git+file://...@commit` of a one-commit copy of HEAD:
what is committed, not the working tree), then imports `compressbias.all` and each extra's packages from there and says which branch installed it.
"""
import argparse, ast, io, json, os, re, shutil, subprocess, sys, tempfile, time, tokenize, venv
from pathlib import Path
try: import tomllib
except ImportError: from pip._vendor import tomli as tomllib   # Python 3.10
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
GUARD = '! [ -e /content ] && '   # a cell runs in Colab only: in Jupyter the reader installed compressbias already
COMMENT = '# in Colab: install compressbias (its release from PyPI, or the repository until there is one)'
# what the markdown cell before it says (the minor series: a version bump that forgets the cells fails here)
PROSE = "In Colab, the next cell installs the library: its release {series} from PyPI or, until there is one, the repository's code;\nelsewhere it does nothing."
# the modules whose use needs an extra: a tutorial that uses any name they export installs that extra
EXTRA_OF_MODULE = {'privacy': 'privacy'}

def pyproject(): return tomllib.loads((ROOT/'pyproject.toml').read_text())

def version() -> str: return re.search(r'__version__ = "(.+)"', (ROOT/'compressbias'/'__init__.py').read_text())[1]

def version_range(v:str) -> str:
    "The releases a tutorial of version `v` works with: the same minor series (0.1.x), or the same major one from 1.0."
    major, minor = Version(v).release[:2]
    return f'>={major}.{minor},<{major}.{minor+1}' if major == 0 else f'>={major}.{minor},<{major+1}'

def series(v:str) -> str: return '.'.join(map(str, Version(v).release[:2]))

def _cell_before(nb_path, cell) -> dict:
    cells = json.loads(Path(nb_path).read_text())['cells']
    i = next(i for i,c in enumerate(cells) if c == cell)
    return cells[i-1] if i else {'source': ''}

def install_cell(extras=(), url=None, spec=None) -> str:
    "The install cell a tutorial needing `extras` should start with."
    url, spec = url or pyproject()['project']['urls']['Repository'], spec or version_range(version())
    name = f"compressbias[{','.join(sorted(extras))}]" if extras else 'compressbias'
    return f'{COMMENT}\n{GUARD}{{ pip install -Uqq "{name}{spec}" 2>/dev/null || pip install -Uqq "{name} @ git+{url}"; }}'

def tutorials(): return sorted((ROOT/'nbs'/'tutorials').glob('*.ipynb'))

def _src(cell): return ''.join(cell['source']) if isinstance(cell['source'], list) else cell['source']

def code_cells(nb_path): return [c for c in json.loads(Path(nb_path).read_text())['cells'] if c['cell_type'] == 'code']

def module_names(module:str) -> set:
    "The names `compressbias.<module>` exports (its `__all__`), read without importing it (it may need an extra)."
    tree = ast.parse((ROOT/'compressbias'/f'{module}.py').read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, 'id', None) == '__all__' for t in node.targets):
            return set(ast.literal_eval(node.value))
    raise ValueError(f'compressbias/{module}.py has no __all__')

def _names(src:str) -> set:
    lines = [l for l in src.splitlines() if not l.lstrip().startswith(('!', '%'))]   # shell and magic lines are not Python
    try: return {t.string for t in tokenize.generate_tokens(io.StringIO('\n'.join(lines)+'\n').readline) if t.type == tokenize.NAME}
    except (tokenize.TokenError, IndentationError, SyntaxError): return set(re.findall(r'\w+', src))

def needed_extras(nb_path) -> set:
    "The extras a tutorial needs: those of the modules whose names its code cells (after the install cell) use."
    used = set().union(*(_names(_src(c)) for c in code_cells(nb_path)[1:]))
    return {extra for mod,extra in EXTRA_OF_MODULE.items() if used & module_names(mod)}

def problems(fix=False) -> list:
    "What is wrong with the tutorials' install cells (with `fix`, the cells are rewritten first)."
    res, v, spec = [], version(), version_range(version())
    known = set(pyproject()['project'].get('optional-dependencies', {}))
    if not Requirement(f'compressbias{spec}').specifier.contains(v, prereleases=True):
        res.append(f'compressbias {v} is not in its own range {spec}')
    if not tutorials(): res.append('no tutorial found under nbs/tutorials/')
    for f in tutorials():
        rel, cells = f.relative_to(ROOT), code_cells(f)
        extras = needed_extras(f)
        if unknown := extras - known: res.append(f'{rel}: needs extras {sorted(unknown)} that pyproject.toml does not define')
        want = install_cell(extras)
        if fix and (not cells or _src(cells[0]) != want): _write_first_cell(f, want)
        cells = code_cells(f)
        if not cells: res.append(f'{rel}: no code cell'); continue
        got = _src(cells[0])
        if got != want: res.append(f'{rel}: its first code cell is\n    {got!r}\n  expected (needs extras {sorted(extras)})\n    {want!r}')
        if (prose := PROSE.format(series=series(v))) not in _src(_cell_before(f, cells[0])):
            res.append(f'{rel}: the markdown cell before the install cell does not say\n    {prose!r}')
    return res

def _write_first_cell(nb_path, src):
    "Put `src` in the first code cell of `nb_path` (a new cell before the first code cell if that one is not an install cell)."
    nb = json.loads(Path(nb_path).read_text())
    i = next(i for i,c in enumerate(nb['cells']) if c['cell_type'] == 'code')
    cell = nb['cells'][i]
    if 'pip install' not in _src(cell):
        cell = {'cell_type': 'code', 'execution_count': None, 'metadata': {}, 'outputs': []}
        nb['cells'].insert(i, cell)
    cell['source'] = src.splitlines(True)
    Path(nb_path).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')

def git(*args): return subprocess.run(['git', '-C', str(ROOT), *args], check=True, capture_output=True, text=True).stdout.strip()

def snapshot(dest:Path) -> str:
    """A repository at `dest` holding HEAD's files as one commit; returns `dest@commit`. pip clones it as it would
    GitHub's (a clone straight from CI's shallow checkout never ends with git 2.39: pip asks for a partial clone)."""
    dest.mkdir(parents=True)
    files = subprocess.run(['git', '-C', str(ROOT), 'archive', 'HEAD'], check=True, capture_output=True).stdout
    subprocess.run(['tar', '-x', '-C', str(dest)], input=files, check=True)
    g = ['git', '-C', str(dest), '-c', 'user.name=ci', '-c', 'user.email=ci@localhost']
    for args in (['init', '-q'], ['add', '-A'], ['commit', '-q', '-m', f'HEAD of {ROOT}']): subprocess.run(g + args, check=True)
    return f"{dest}@{subprocess.run(g + ['rev-parse', 'HEAD'], check=True, capture_output=True, text=True).stdout.strip()}"

def import_names(extra:str) -> list:
    "The modules to import to show that `extra`'s requirements were installed (`dask[distributed]` -> `dask.distributed`)."
    reqs = [Requirement(r) for r in pyproject()['project']['optional-dependencies'][extra]]
    return [r.name.replace('-', '_') + ''.join(f'.{x}' for x in sorted(r.extras)) for r in reqs]

def run_cell(env:Path) -> None:
    "Run the install cell with the most extras, as Colab would, in a fresh virtual environment `env`; then import."
    extras = set().union(*map(needed_extras, tutorials()))
    url = pyproject()['project']['urls']['Repository']
    if git('status', '--porcelain'): print('note: the working tree has uncommitted changes; the cell installs HEAD')
    cmd = install_cell(extras).splitlines()[-1]
    assert cmd.startswith(GUARD) and url in cmd, cmd
    cmd = cmd[len(GUARD):]   # Colab passes the guard; this machine is not Colab
    shutil.rmtree(env, ignore_errors=True)
    venv.create(env, with_pip=True, upgrade_deps=True)   # a recent pip, as Colab has (pip 23 rejects git+file:/// URLs)
    environ = {k:v for k,v in os.environ.items() if k not in ('PYTHONPATH', 'VIRTUAL_ENV', 'PYTHONHOME')}
    environ.update(PATH=f'{env/"bin"}{os.pathsep}{environ["PATH"]}', VIRTUAL_ENV=str(env))
    with tempfile.TemporaryDirectory() as cwd:   # outside the repository, as in Colab
        local = f'file://{snapshot(Path(cwd)/"repository")}'   # this checkout's HEAD: CI cannot reach GitHub
        cmd = cmd.replace(url, local)
        print(f'$ {cmd}', flush=True)
        t0 = time.time()
        r = subprocess.run(['sh', '-c', cmd], cwd=cwd, env=environ, timeout=1800)
        if r.returncode: sys.exit(f'the install cell failed (exit {r.returncode})')
        print(f'installed in {time.time()-t0:.0f} s')
        mods = ['compressbias.all'] + [m for x in sorted(extras) for m in import_names(x)]
        check = ('import importlib, importlib.metadata as md, json, warnings\n'
                 "warnings.filterwarnings('ignore', category=FutureWarning)   # torch.jit.script's, at fastai's import\n"
                 'import compressbias\n'
                 f'for m in {mods!r}: importlib.import_module(m)\n'
                 "u = json.loads(md.distribution('compressbias').read_text('direct_url.json') or '{}')\n"
                 "src = f\"{u['url']}@{u['vcs_info']['commit_id'][:10]}\" if u else 'the release on PyPI'\n"
                 f"print('compressbias', compressbias.__version__, 'from', src, 'imports with', {', '.join(mods)!r})\n"
                 'print(compressbias.__file__)')
        r = subprocess.run([str(env/'bin'/'python'), '-c', check], cwd=cwd, env=environ, capture_output=True, text=True)
        print(r.stdout, r.stderr, sep='', end='')
        if r.returncode: sys.exit('what the install cell installed does not import')
        where = Path(r.stdout.splitlines()[-1]).resolve()
        if Path(env).resolve() not in where.parents: sys.exit(f'compressbias was imported from {where}, not from {env}')

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--fix', action='store_true', help="write the expected install cell into every tutorial")
    p.add_argument('--run', metavar='ENV', type=Path, help='then run the cell in a fresh virtual environment made at ENV')
    a = p.parse_args()
    if errs := problems(fix=a.fix): sys.exit('\n'.join(errs) + f'\n(python tools/check_install_cell.py --fix writes the expected cells)')
    print(f'{len(tutorials())} tutorials: one install cell, compressbias{version_range(version())} (version {version()}), '
          f'or {pyproject()["project"]["urls"]["Repository"]}')
    if a.run: run_cell(a.run)

if __name__ == '__main__': main()
