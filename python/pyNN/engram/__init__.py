"""
pyNN.engram: the PyNN API on engram.

    import pyNN.engram as sim
    sim.setup(timestep=0.1, seed=1234, threads=2, progress=True)

``setup`` takes, besides PyNN's arguments: ``seed`` (engram's random streams; the same seed
gives the same run for any thread count), ``threads``, ``backend`` ("cpu", or "spinnaker" for
the emulated SpiNNaker board, dt a whole number of microseconds) and ``progress`` (a progress bar during ``run``).
The network is built in Rust when it is first run (or its connections read); Ctrl-C during
``run`` stops at the next chunk of 100 ms, with everything recorded so far readable.
"""

from .. import errors, random, space                            # noqa: F401
from ..network import Network                                   # noqa: F401
from ..space import Space                                       # noqa: F401
from ..random import NumpyRNG, GSLRNG, RandomDistribution       # noqa: F401
from ..connectors import *                                      # noqa: F403, F401
from ..recording import *                                       # noqa: F403, F401
from ..standardmodels import StandardCellType
from .. import common
from ..common.control import DEFAULT_MAX_DELAY, DEFAULT_TIMESTEP, DEFAULT_MIN_DELAY
from ..recording import get_io
from .standardmodels import *                                   # noqa: F403, F401
from .standardmodels import StaticSynapse
from .electrodes import DCSource, ACSource, StepCurrentSource, NoisyCurrentSource  # noqa: F401
from .populations import Population, PopulationView, Assembly   # noqa: F401
from .projections import Projection                             # noqa: F401
from . import simulator
from . import extensions                                        # noqa: F401
from . import ca3                                               # noqa: F401
from engram import EngramError                                  # noqa: F401


def setup(timestep=DEFAULT_TIMESTEP, min_delay=DEFAULT_MIN_DELAY, **extra_params):
    """Starts a new network. engram's own options: seed, threads, backend, progress."""
    max_delay = extra_params.get("max_delay", DEFAULT_MAX_DELAY)
    common.setup(timestep, min_delay, **extra_params)
    state = simulator.state
    state.clear()
    state.dt = timestep
    state.min_delay_auto = min_delay == "auto"
    state.min_delay = timestep if min_delay == "auto" else min_delay
    state.max_delay = max_delay
    state.seed = int(extra_params.get("seed", extra_params.get("rng_seed", 1234)))
    state.threads = int(extra_params.get("threads", 1))
    state.backend = extra_params.get("backend", "cpu")
    state.progress = bool(extra_params.get("progress", False))
    return 0


def end(compatible_output=True):
    """Writes the data requested with record(..., to_file=...)."""
    for (population, variables, filename) in getattr(simulator.state, "write_on_end", []):
        population.write_data(get_io(filename), variables)
    simulator.state.write_on_end = []
    # The model stays: recordings are readable after end(), as PyNN's other backends keep
    # them; setup() starts anew.


run, run_until = common.build_run(simulator)
run_for = run
reset = common.build_reset(simulator)
initialize = common.initialize
get_current_time, get_time_step, get_min_delay, get_max_delay, \
    num_processes, rank = common.build_state_queries(simulator)



def get_min_delay():
    """The smallest delay of the network: the one given to setup(), or with
    min_delay="auto" the smallest delay of any projection (dt when there are none)."""
    state = simulator.state
    if state.min_delay_auto:
        delays = [d for d in (p._min_delay() for p in state.projections) if d is not None]
        return min(delays) if delays else state.dt
    return state.min_delay


create = common.build_create(Population)
connect = common.build_connect(Projection, FixedProbabilityConnector, StaticSynapse)  # noqa: F405
record = common.build_record(simulator)


def record_v(source, filename):
    return record(["v"], source, filename)


def record_gsyn(source, filename):
    return record(["gsyn_exc", "gsyn_inh"], source, filename)


def set_options(population, **options):
    """engram's options of a population's cell type, e.g. integration="nest" for
    IF_curr_exp (``engram models`` lists them)."""
    simulator.state.changed()
    population.engram_options = dict(getattr(population, "engram_options", {}), **options)


def model_file(path=None):
    """The model file (TOML) of the network as described now; written to `path` if given."""
    from .modelfile import model_file_text
    text = model_file_text(simulator.state)
    if path is not None:
        with open(path, "w") as f:
            f.write(text)
    return text


def list_standard_models():
    """The StandardCellType classes pyNN.engram has."""
    return [obj.__name__ for obj in globals().values()
            if isinstance(obj, type) and issubclass(obj, StandardCellType)
            and hasattr(obj, "engram_name") and not getattr(obj, "engram_extension", False)]
