"""The state of a pyNN.engram session: what the PyNN objects describe, and the engram model
built from it.

PyNN objects only describe; the network is built in Rust, all at once, from the model-file
text they translate into (``modelfile.py``) when it is first needed (``run``, or reading
connections), and built again after a change.
"""

import sys

import numpy as np

from .. import common
from engram import Model

name = "engram"


class ID(int, common.IDMixin):

    def __init__(self, n):
        int.__init__(n)
        common.IDMixin.__init__(self)


class State(common.control.BaseState):

    def __init__(self):
        common.control.BaseState.__init__(self)
        self.mpi_rank = 0
        self.num_processes = 1
        self.dt = 0.1
        self.seed = 1234
        self.threads = 1
        self.backend = "cpu"
        self.progress = False
        self.min_delay_auto = False
        self.clear()

    # --- the network described by the PyNN objects ---------------------------------------

    def clear(self):
        self.recorders = set([])
        self.populations = []
        self.projections = []
        self.current_sources = []
        self.stale = False
        self.id_counter = 0
        self.segment_counter = -1
        self.model = None
        self.reset()

    def changed(self):
        """Something the network is built from changed: build it again before using it (in
        the middle of a run, the run goes on from its state on the changed network)."""
        if self.model is not None and self.model.step > 0:
            self.stale = True
        else:
            self.model = None

    def built(self):
        """The engram model of the network as described now (built if need be)."""
        from .modelfile import model_file_text
        if self.model is None:
            text = model_file_text(self)
            self.model = Model(text, name="<pyNN.engram>", backend=self.backend,
                               threads=self.threads)
            self.stale = False
        elif self.stale:
            # Parameters changed in the middle of a run: same neurons and synapses, the state
            # so far carried over (a changed structure is refused by the checkpoint).
            self.model.rebuild(model_file_text(self, now=self.model.step * self.dt))
            self.stale = False
        return self.model

    # --- running ------------------------------------------------------------------------

    def steps(self, t_ms):
        return int(round(t_ms / self.dt))

    def run(self, simtime):
        self.run_until(self.t + simtime)

    def run_until(self, tstop):
        model = self.built()
        end = self.steps(tstop)
        progress = _ProgressBar(model.step, end) if self.progress else None
        try:
            model.run_until(end, chunk=max(1, self.steps(100.0)), progress=progress)
        finally:
            if progress is not None:
                progress.close()
            self.t = model.step * self.dt
            self.running = True

    def reset(self):
        """Back to t = 0 with the same network (recordings are cached by the recorders)."""
        self.running = False
        self.t = 0
        self.t_start = 0
        self.segment_counter += 1
        if self.model is not None and self.stale:
            self.model = None
        if self.model is not None:
            self.model.reset()
            self.model.clear()


class _ProgressBar:
    """A progress bar on stderr (tqdm's when it is installed)."""

    def __init__(self, start, end):
        self.start, self.end = start, end
        try:
            from tqdm.auto import tqdm
            self.bar = tqdm(total=end - start, unit="step", file=sys.stderr)
        except ImportError:
            self.bar = None
        self.done = 0

    def __call__(self, step):
        if self.bar is not None:
            self.bar.update(step - self.start - self.done)
        else:
            width = 40
            frac = (step - self.start) / max(1, self.end - self.start)
            sys.stderr.write("\r[%-*s] %3d%%" % (width, "#" * int(frac * width), frac * 100))
            sys.stderr.flush()
        self.done = step - self.start

    def close(self):
        if self.bar is not None:
            self.bar.close()
        else:
            sys.stderr.write("\n")


state = State()
