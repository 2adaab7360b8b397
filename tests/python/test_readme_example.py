"""The README's Python example runs as written and draws a raster of spiking neurons."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def readme_example():
    text = (ROOT / "README.md").read_text()
    section = text.split("## From Python", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_example_runs_and_plots_a_raster(tmp_path):
    code = readme_example()
    assert "import pyNN.engram as sim" in code
    probe = code + "\nprint(sum(len(t) for t in cells.get_data().segments[0].spiketrains))\n"
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, check=True,
                         capture_output=True, text=True, env={"MPLBACKEND": "Agg",
                                                              "PATH": "/usr/bin:/bin"})
    spikes = int(out.stdout.split()[-1])
    assert spikes > 100
    raster = tmp_path / "raster.png"
    assert raster.exists() and raster.stat().st_size > 1000
