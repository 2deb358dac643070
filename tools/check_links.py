"""Check that every relative link on the docs site resolves, before Quarto renders it.

Run after `nbdev-proc-nbs`, which writes the pre-rendered notebooks to `_proc/`, each with the name of its
page (`output-file`, e.g. `01_prune.ipynb` -> `prune.html`). For every link in a markdown cell or a markdown
output (`show_doc`) of those notebooks, the target must be a page of the site or a file under `nbs/`, and an
anchor (`page.html#name`) must be a heading of that page. External links (http, https, mailto) are not fetched.

    python tools/check_links.py   # exit 1 and list the broken links, if any
"""
import json, re, sys, unicodedata
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parent.parent
SITE = 'https://compressbias.github.io/compressbias/'   # links to the site itself are checked like relative ones
PROC, NBS = ROOT/'_proc', ROOT/'nbs'
LINK = re.compile(r'(?<!!)\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)|href="([^"]+)"')
HEADING = re.compile(r'^#{1,6}\s+(.+?)\s*(?:\{#([^}\s]+)[^}]*\})?\s*$', re.M)

def _texts(nb):
    "Markdown of a notebook: markdown cells and markdown outputs (what `show_doc` writes)."
    for c in nb['cells']:
        if c['cell_type'] == 'markdown': yield ''.join(c['source'])
        for o in c.get('outputs', []):
            md = o.get('data', {}).get('text/markdown')
            if md: yield ''.join(md)

def _strip_code(md): return re.sub(r'```.*?```', '', md, flags=re.S)

def anchor(title:str) -> str:
    "The id pandoc gives a heading: formatting and punctuation but `_-.` removed, spaces to hyphens, lower case."
    t = re.sub(r'\[([^\]]*)\]\([^)]*\)', r'\1', title)          # links keep their text
    t = re.sub(r'[`*]', '', t)
    t = ''.join(ch for ch in t if ch.isalnum() or ch in ' _-.')
    t = unicodedata.normalize('NFKC', t).strip().lower().replace(' ', '-')
    return re.sub(r'^[^a-z]+', '', t)

def output_file(nb, path):
    fm = ''.join(nb['cells'][0]['source']) if nb['cells'] else ''
    m = re.search(r'^output-file:\s*(\S+)', fm, re.M)
    return path.parent/(m.group(1) if m else path.with_suffix('.html').name)

def main():
    if not PROC.exists(): sys.exit("no _proc/ folder: run nbdev-proc-nbs first")
    nbs = {p: json.loads(p.read_text()) for p in sorted(PROC.rglob('*.ipynb'))}
    pages = {}   # site page (relative to the site root) -> set of anchors
    for p,nb in nbs.items():
        md = '\n'.join(map(_strip_code, _texts(nb)))
        ids = {a or anchor(t) for t,a in HEADING.findall(md)} | set(re.findall(r'\bid="([^"]+)"', md))
        pages[PurePosixPath(output_file(nb, p).relative_to(PROC).as_posix())] = ids
    bad = []
    for p,nb in nbs.items():
        here = PurePosixPath(p.relative_to(PROC).as_posix()).parent
        for md in _texts(nb):
            for a,b in LINK.findall(_strip_code(md)):
                target = a or b
                if target.startswith(SITE): target,here_ = target[len(SITE):],PurePosixPath('.')
                else: here_ = here
                if re.match(r'^(https?:|mailto:|data:)', target) or target.startswith('#') and not target[1:]: continue
                page,_,frag = target.partition('#')
                dest = PurePosixPath(*[x for x in (here_/page).parts]) if page else PurePosixPath(p.relative_to(PROC).as_posix())
                parts = []
                for x in dest.parts:
                    if x == '..': parts and parts.pop()
                    elif x != '.': parts.append(x)
                dest = PurePosixPath(*parts)
                if not page: dest = PurePosixPath(output_file(nb, p).relative_to(PROC).as_posix())
                if dest.suffix == '.ipynb': dest = PurePosixPath(output_file(nbs.get(PROC/dest, {'cells': []}), PROC/dest).relative_to(PROC).as_posix())
                if dest in pages:
                    if frag and frag not in pages[dest]: bad.append(f"{p.relative_to(PROC)}: {target} (no heading '#{frag}' on {dest})")
                elif not (NBS/dest).exists(): bad.append(f"{p.relative_to(PROC)}: {target} (no page or file {dest})")
    if bad:
        print(f"{len(bad)} broken links on the docs site:"); print('\n'.join(sorted(set(bad)))); sys.exit(1)
    print(f"every relative link resolves ({len(pages)} pages)")

if __name__ == '__main__': main()
