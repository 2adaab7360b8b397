"""engram, a spiking neural network simulator, from Python.

The PyNN backend is ``pyNN.engram`` (``import pyNN.engram as sim``). This package holds the
native module and thin wrappers: ``engram.Model`` runs a model file or the text of one,
``engram.cam``, ``engram.bench`` and ``engram.spinnaker`` wrap the corresponding commands;
``engram.nir.load(graph)`` runs a ``nir.NIRGraph``.

Errors from engram are raised as :class:`EngramError`; its ``code`` is engram's stable error
code (``"E0107"``, see docs/ERRORS.md), ``None`` for an internal defect.
"""

from ._engram import EngramError, Model, cell_types

EngramError.code = property(
    lambda self: self.args[1] if len(self.args) > 1 else None,
    doc="engram's error code (docs/ERRORS.md), or None for an internal defect",
)
EngramError.message = property(lambda self: self.args[0] if self.args else "")


def run_model_file(path, backend="cpu", threads=1):
    """Runs the model file at `path` for its duration; returns the loaded :class:`Model`."""
    model = Model.from_file(str(path), backend=backend, threads=threads)
    model.run_until(model.duration_steps)
    return model


__all__ = ["EngramError", "Model", "cell_types", "run_model_file"]

EngramError.__str__ = lambda self: str(self.args[0]) if self.args else ""
