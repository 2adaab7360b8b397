"""The CA3 content-addressable memory (docs/CAM.md): run an experiment file (learn, recall by
cue, recall by content) and get its recall table as Python objects.

    import engram.cam
    result = engram.cam.run("examples/cam/small.toml")
    result["table"][0]["matches"]

The same memory built from PyNN objects, run with ``sim.run``, is ``pyNN.engram.ca3``.
"""

import json
from pathlib import Path

from ._engram import cam_experiment, cam_run


def _text(experiment):
    """(text, name) of `experiment`: a path to a CAM experiment file, or its TOML text."""
    path = Path(experiment) if not str(experiment).lstrip().startswith(("[", "#")) \
        and "\n" not in str(experiment) else None
    if path is not None:
        return path.read_text(), str(path)
    return str(experiment), "<experiment>"


def run(experiment, backend="cpu", threads=1):
    """Runs `experiment` (a path to a CAM experiment file, or its TOML text). Returns a dict:
    ``table`` (one dict per operation: index, t0, operation, expected and answered cues and
    content, matches), ``steps``, ``dt_ms`` and ``spikes`` (count per population)."""
    text, name = _text(experiment)
    return json.loads(cam_run(text, name=name, backend=backend, threads=threads))


def load_experiment(experiment):
    """`experiment` (a path or TOML text) as ``engram cam`` reads it: a dict with ``cues``,
    ``content_bits``, ``seed``, ``min_steps`` and ``schedule`` (one dict per operation: ``t0``
    in steps of 1 ms, ``op`` with ``op``, ``cue`` and/or ``content``)."""
    text, name = _text(experiment)
    return json.loads(cam_experiment(text, name=name))


def recall_rate(result):
    """The fraction of operations whose network answer equals the ideal CAM's."""
    table = result["table"]
    return sum(1 for row in table if row["matches"]) / max(1, len(table))
