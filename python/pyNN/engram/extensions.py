"""engram's extensions of PyNN: cell and synapse types under PyNN's parameter names that run
the way sPyNNaker runs them, which PyNN's standard types (NEST's conventions on engram) do not.
They are what the CA3 memory (``pyNN.engram.ca3``, docs/CAM.md) is made of, and they are
ordinary PyNN types: a population or projection of them is built, recorded and read like any
other.

    import pyNN.engram as sim
    cells = sim.Population(10, sim.extensions.IF_curr_exp_spynnaker(tau_m=3.0, cm=0.27))
    stdp = sim.extensions.STDPMechanism_spynnaker(
        timing_dependence=sim.SpikePairRule(tau_plus=3.0, tau_minus=3.0, A_plus=6.0, A_minus=6.0),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=6.0), weight=0.0)
"""

from .standardmodels import IF_curr_exp, STDPMechanism


class IF_curr_exp_spynnaker(IF_curr_exp):
    """PyNN's ``IF_curr_exp`` (same parameters, defaults and units) integrated as sPyNNaker's
    neuron kernel does: the input arriving in a step is injected first as
    ``init*w`` with ``init = (tau_syn/dt)(1 - exp(-dt/tau_syn))``, the membrane relaxes, the
    threshold is checked, the currents decay last; the refractory period is
    ``ceil(tau_refrac/dt)`` steps and spikes are stamped at the start of their step. engram's
    ``IF_curr_exp`` with ``integration = "spynnaker"``."""

    engram_options = {"integration": "spynnaker"}
    engram_extension = True


class STDPMechanism_spynnaker(STDPMechanism):
    """PyNN's ``STDPMechanism`` (``SpikePairRule`` with an additive or multiplicative weight
    dependence) with sPyNNaker's semantics: additive amplitudes ``A_plus``/``A_minus`` are
    absolute weights (not multiples of ``w_max``), and a post spike arriving in the step of a
    pre spike depresses. engram's ``STDPMechanism`` with ``semantics = "spynnaker"``."""

    engram_semantics = "spynnaker"
    engram_extension = True


__all__ = ["IF_curr_exp_spynnaker", "STDPMechanism_spynnaker"]
