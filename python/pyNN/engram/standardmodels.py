"""The PyNN standard models engram has, under their PyNN names (engram's parameters are
PyNN's: names, defaults and units, so every translation is the identity)."""

from ..standardmodels import build_translations, cells, synapses


def _engram_type(base, **attributes):
    """PyNN's standard type `base` under its own parameter names (identity translations)."""
    translations = build_translations(*[(n, n) for n in base.default_parameters])
    return type(base.__name__, (base,), dict(__doc__=base.__doc__, translations=translations,
                                             **attributes))


def _engram_cell(base):
    """A standard cell type as the engram catalogue type of the same name."""
    return _engram_type(base, engram_name=base.__name__)


IF_curr_exp = _engram_cell(cells.IF_curr_exp)
IF_cond_exp = _engram_cell(cells.IF_cond_exp)
IF_curr_alpha = _engram_cell(cells.IF_curr_alpha)
IF_cond_alpha = _engram_cell(cells.IF_cond_alpha)
EIF_cond_alpha_isfa_ista = _engram_cell(cells.EIF_cond_alpha_isfa_ista)
EIF_cond_exp_isfa_ista = _engram_cell(cells.EIF_cond_exp_isfa_ista)
HH_cond_exp = _engram_cell(cells.HH_cond_exp)
Izhikevich = _engram_cell(cells.Izhikevich)
SpikeSourcePoisson = _engram_cell(cells.SpikeSourcePoisson)
SpikeSourceArray = _engram_cell(cells.SpikeSourceArray)
SpikeSourceGamma = _engram_cell(cells.SpikeSourceGamma)
SpikeSourcePoissonRefractory = _engram_cell(cells.SpikeSourcePoissonRefractory)


class StaticSynapse(synapses.StaticSynapse):
    __doc__ = synapses.StaticSynapse.__doc__
    translations = build_translations(("weight", "weight"), ("delay", "delay"))

    def _get_minimum_delay(self):
        from .simulator import state
        return state.dt


class STDPMechanism(synapses.STDPMechanism):
    __doc__ = synapses.STDPMechanism.__doc__
    base_translations = build_translations(
        ("weight", "weight"),
        ("delay", "delay"),
        ("dendritic_delay_fraction", "dendritic_delay_fraction"),
    )

    def _get_minimum_delay(self):
        from .simulator import state
        return state.dt


class _DynamicSynapse:
    """A synapse type whose parameters besides weight and delay are the model file's
    `synapse` table (one value per connection: they may differ between connections)."""

    def _get_minimum_delay(self):
        from .simulator import state
        return state.dt


TsodyksMarkramSynapse = type("TsodyksMarkramSynapse",
                             (_DynamicSynapse, synapses.TsodyksMarkramSynapse),
                             dict(__doc__=synapses.TsodyksMarkramSynapse.__doc__,
                                  translations=build_translations(
                                      *[(n, n) for n in synapses.TsodyksMarkramSynapse
                                        .default_parameters])))
SimpleStochasticSynapse = type("SimpleStochasticSynapse",
                               (_DynamicSynapse, synapses.SimpleStochasticSynapse),
                               dict(__doc__=synapses.SimpleStochasticSynapse.__doc__,
                                    translations=build_translations(
                                        *[(n, n) for n in synapses.SimpleStochasticSynapse
                                          .default_parameters])))

SpikePairRule = _engram_type(synapses.SpikePairRule)
AdditiveWeightDependence = _engram_type(synapses.AdditiveWeightDependence)
MultiplicativeWeightDependence = _engram_type(synapses.MultiplicativeWeightDependence)
