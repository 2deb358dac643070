"""Write README.md from nbs/index.ipynb, offline (nbdev-readme needs Quarto, which these machines lack).

    python tools/readme.py          # write README.md
    python tools/readme.py --check  # exit 1 if README.md is out of date (CI runs this)

Markdown cells are copied; code cells become ```python blocks followed by their text output;
cells marked `#| hide` are left out and other `#|` directives are stripped, as on the docs site.
"""
import argparse, json, sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from save_outputs import terminal_text   # a progress bar's \r updates, as a terminal shows them

ROOT = Path(__file__).resolve().parent.parent

def _src(cell): return ''.join(cell['source']) if isinstance(cell['source'], list) else cell['source']

def _output_text(out):
    if out.get('output_type') == 'stream': return '' if out.get('name') == 'stderr' else terminal_text(''.join(out['text'])).rstrip()
    data = out.get('data', {})
    for mime in ('text/markdown', 'text/plain'):
        if mime in data: return ''.join(data[mime])
    return ''

def cell_md(cell) -> str:
    src = _src(cell)
    if cell['cell_type'] == 'markdown': return src.strip()
    lines = src.splitlines()
    directives = [l for l in lines if l.startswith('#|')]
    if any(d.split()[1:2] in (['hide'], ['exporti'], ['default_exp']) for d in directives): return ''
    code = '\n'.join(l for l in lines if not l.startswith('#|')).strip()
    if not code: return ''
    res = f'```python\n{code}\n```'
    outs = [t for t in map(_output_text, cell.get('outputs', [])) if t.strip()]
    if outs: res += '\n\n' + '\n'.join(f'    {l}' for t in outs for l in t.rstrip().splitlines())
    return res

def readme_text(nb_path=ROOT/'nbs'/'index.ipynb') -> str:
    nb = json.loads(Path(nb_path).read_text())
    body = '\n\n'.join(t for t in map(cell_md, nb['cells']) if t)
    return f'<!-- WARNING: generated from nbs/index.ipynb by tools/readme.py. Edit the notebook, not this file. -->\n\n{body}\n'

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--check', action='store_true', help='only check that README.md is up to date')
    a = p.parse_args()
    text, readme = readme_text(), ROOT/'README.md'
    if a.check:
        if not readme.exists() or readme.read_text() != text:
            sys.exit('README.md is out of date with nbs/index.ipynb: run `python tools/readme.py`')
        print('README.md is in sync with nbs/index.ipynb')
    else: readme.write_text(text)

if __name__ == '__main__': main()
