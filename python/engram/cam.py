"""The CA3 content-addressable memory (docs/CAM.md): run an experiment file (learn, recall by
cue, recall by content) and get its recall table as Python objects.

    import engram.cam
    result = engram.cam.run("examples/cam/small.toml")
    result["table"][0]["matches"]
"""

import json
from pathlib import Path

from ._engram import cam_run


def run(experiment, backend="cpu", threads=1):
    """Runs `experiment` (a path to a CAM experiment file, or its TOML text). Returns a dict:
    ``table`` (one dict per operation: index, t0, operation, expected and answered cues and
    content, matches), ``steps``, ``dt_ms`` and ``spikes`` (count per population)."""
    path = Path(experiment) if not str(experiment).lstrip().startswith(("[", "#")) \
        and "\n" not in str(experiment) else None
    if path is not None:
        text, name = path.read_text(), str(path)
    else:
        text, name = str(experiment), "<experiment>"
    return json.loads(cam_run(text, name=name, backend=backend, threads=threads))


def recall_rate(result):
    """The fraction of operations whose network answer equals the ideal CAM's."""
    table = result["table"]
    return sum(1 for row in table if row["matches"]) / max(1, len(table))
