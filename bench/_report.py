"Shared by the benchmark scripts: machine facts, timing, and writing one section of bench/README.md."
import os, platform, re, time, statistics
from pathlib import Path

README = Path(__file__).parent/'README.md'

def machine() -> str:
    "One line describing where the numbers were measured."
    import torch
    dev = torch.cuda.get_device_name() if torch.cuda.is_available() else 'no GPU'
    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__} "
            f"({torch.get_num_threads()} threads), {dev}, Python {platform.python_version()}")

def best_of(f, n:int=3) -> float:
    "Median wall time of `n` calls of `f`, in seconds (median: robust to one noisy run on a shared machine)."
    times = []
    for _ in range(n):
        start = time.perf_counter(); f(); times.append(time.perf_counter()-start)
    return statistics.median(times)

def write_section(name:str, markdown:str):
    "Replace (or append) the section of README.md between `<!-- name:start -->` and `<!-- name:end -->`."
    start,end = f'<!-- {name}:start -->', f'<!-- {name}:end -->'
    text = README.read_text() if README.exists() else '# Benchmarks\n\nEach script writes its own section; rerun it to refresh the numbers.\n'
    block = f'{start}\n{markdown.strip()}\n{end}'
    pat = re.compile(re.escape(start) + '.*?' + re.escape(end), re.S)
    text = pat.sub(lambda _: block, text) if pat.search(text) else text.rstrip() + '\n\n' + block + '\n'
    README.write_text(text)
