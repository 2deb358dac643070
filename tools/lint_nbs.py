"""Find notebook cells that nbdev's docs build would execute by accident.

To render `show_doc`, nbdev's pre-render (`nbdev-proc-nbs`) runs every cell that is exported, calls
`show_doc`, or contains an import anywhere. A test or training cell that also imports something is
therefore run while building the docs: slow at best, broken at worst (it is not the test runner's
environment). Keep imports in cells of their own.

    python tools/lint_nbs.py   # exit 1 and list the cells, if any
"""
import ast, json, sys
from pathlib import Path

EXEC_DIRECTIVES = ('export', 'exports', 'exporti', 'exec_doc')
# setup calls that are fine, even wanted, when the docs build runs them
SETUP_CALLS = {'filterwarnings', 'simplefilter', 'set_num_threads'}

def _is_setup(node) -> bool:
    if isinstance(node, (ast.Import, ast.ImportFrom)): return True
    if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)): return False
    f = node.value.func
    return (f.attr if isinstance(f, ast.Attribute) else getattr(f, 'id', None)) in SETUP_CALLS

def _directives(src):
    return {l[2:].split(':')[0].split()[0] for l in src.splitlines() if l.startswith('#|') and l[2:].split()}

def mixed_import_cell(src:str) -> bool:
    "True when a cell holds an import (at any depth) and also top-level code other than imports and setup calls."
    if _directives(src) & set(EXEC_DIRECTIVES) or 'nbdev_export()' in src: return False  # nbdev runs or skips these anyway
    code = '\n'.join(l for l in src.splitlines() if not l.lstrip().startswith(('%', '!')))
    try: tree = ast.parse(code)
    except SyntaxError: return False
    has_import = any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in ast.walk(tree))
    return has_import and not all(map(_is_setup, tree.body))

def main():
    root = Path(__file__).resolve().parent.parent/'nbs'
    bad = []
    for nb in sorted(root.rglob('*.ipynb')):
        if any(p.startswith(('.', '_')) for p in nb.relative_to(root).parts): continue
        for i,c in enumerate(json.loads(nb.read_text())['cells']):
            src = ''.join(c['source']) if isinstance(c['source'], list) else c['source']
            if c['cell_type']=='code' and mixed_import_cell(src): bad.append(f"{nb.relative_to(root.parent)} cell {i}: {src.splitlines()[0][:70]}")
    if bad:
        print("Cells mixing imports with other code (nbdev-proc-nbs would run them; move the imports to a cell of their own):")
        print('\n'.join(bad)); sys.exit(1)
    print('no cell mixes imports with other code')

if __name__ == '__main__': main()
