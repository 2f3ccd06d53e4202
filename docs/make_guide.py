"""Make the worked examples of docs/guide.md again: run each example's commands, put the table
its compare prints under the example and its chart into docs/img/.

    python docs/make_guide.py            # every example (the baseline first)
    python docs/make_guide.py cost ind   # these examples (the baseline's result is reused)
    python docs/make_guide.py --reuse    # the runs already in results/guide kept: tables and charts only

Run from the repository's root folder, where the commands write their results (results/guide/).
An example is the bash block after ``<!-- example: NAME -->``; the ```text block after
``<!-- table: NAME -->`` receives what its compare printed; ``<!-- chart: NAME FILE -->`` names
the chart copied to docs/img/NAME.png (as a palette PNG, to keep the repository small).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
GUIDE = DOCS / "guide.md"
EXAMPLE = re.compile(r"<!-- example: (\w+) -->\n```bash\n(.*?)```", re.S)
TABLE = re.compile(r"(<!-- table: (\w+) -->\n```text\n)(.*?)(```)", re.S)
CHART = re.compile(r"<!-- chart: (\w+) (\S+) -->")


def examples(text: str) -> dict[str, list[str]]:
    """{name: its command lines}, in the order of the guide."""
    return {name: [line.strip() for line in body.splitlines() if line.strip()]
            for name, body in EXAMPLE.findall(text)}


def charts(text: str) -> dict[str, str]:
    """{name: the chart file its report writes}."""
    return dict(CHART.findall(text))


def run(line: str, reuse: bool = False) -> str:
    """Run one documented command as a user would (wide terminal, English); return what it
    printed. ``reuse``: a run whose result folder holds a result is not run again."""
    env = {**os.environ, "COLUMNS": "160", "NO_COLOR": "1", "TERM": "dumb"}
    args = shlex.split(line)
    if reuse and args[1] == "run" and (Path(args[args.index("--out") + 1]) / "manifest.json").is_file():
        print("(kept)", line, flush=True)
        return ""
    if args[0] == "cgt-sim":
        args = [sys.executable, "-m", "cgt_sim", *args[1:]]
    print("$", line, flush=True)
    proc = subprocess.run(args, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {line}\n{proc.stderr}")
    return proc.stdout


def shrink(source: Path, target: Path) -> None:
    """The chart as a palette PNG (a quarter of the bytes, the same picture to the eye)."""
    from PIL import Image

    with Image.open(source) as image:
        image.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)


def main(names: list[str]) -> None:
    reuse = "--reuse" in names
    names = [n for n in names if n != "--reuse"]
    text = GUIDE.read_text(encoding="utf-8")
    found = examples(text)
    unknown = [n for n in names if n not in found]
    if unknown:
        sys.exit(f"no example {', '.join(unknown)} in docs/guide.md; it has {', '.join(found)}")
    todo = names or list(found)
    if "baseline" in found and ("baseline" in todo or not Path("results/guide/baseline/manifest.json").exists()):
        todo = ["baseline"] + [n for n in todo if n != "baseline"]
    tables, pictures = {}, charts(text)
    for name in todo:
        printed = ""
        for line in found[name]:
            out = run(line, reuse)
            if shlex.split(line)[1] == "compare":
                printed = out
        if printed:
            # the table, without the closing line naming the file
            tables[name] = "\n".join(line.rstrip() for line in printed.splitlines()
                                     if not line.startswith(("comparison written", "report written")))
        if name in pictures:
            (DOCS / "img").mkdir(exist_ok=True)
            shrink(Path(pictures[name]), DOCS / "img" / f"{name}.png")
    text = TABLE.sub(lambda m: m[1] + (tables[m[2]].strip("\n") + "\n" if m[2] in tables else m[3]) + m[4], text)
    GUIDE.write_text(text, encoding="utf-8")
    print(f"docs/guide.md: {', '.join(tables) or 'no'} table(s) and {', '.join(n for n in todo if n in pictures)} "
          "chart(s) made again")


if __name__ == "__main__":
    main(sys.argv[1:])
