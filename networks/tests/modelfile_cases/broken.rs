//! Broken model files shared by `networks/tests/modelfile_errors.rs` (library level) and the root
//! `tests/cli_model_errors.rs` (the real binary). Each case: a name, the file's text, and the
//! text its error must contain (the key path, or a phrase for whole-file errors).

/// The `[populations.exc]` body every case starts from.
pub const EXC: &str = "cell_type = \"IF_curr_exp\"\nsize = 10\n";
/// The `[projections.p]` body every case starts from (Poisson source -> exc).
pub const PROJ: &str = "pre = \"src\"\npost = \"exc\"\nconnector = { type = \"AllToAllConnector\" }\nreceptor_type = \"excitatory\"\nweight = 0.1\ndelay = 1.0\n";

/// A small valid model with `top` lines at the start, and the given bodies for
/// `[populations.exc]` and `[projections.p]`.
pub fn model(top: &str, exc: &str, proj: &str) -> String {
    format!(
        "dt = 0.1\n{top}\n\n[populations.src]\ncell_type = \"SpikeSourcePoisson\"\nsize = 5\nparams = {{ rate = 10.0 }}\n\n[populations.exc]\n{exc}\n[projections.p]\n{proj}"
    )
}

fn with_duration(top: &str, exc: &str, proj: &str) -> String {
    model(&format!("duration = 100.0\n{top}"), exc, proj)
}

fn exc(extra: &str) -> String {
    with_duration("", &format!("{EXC}{extra}\n"), PROJ)
}

fn proj(from: &str, to: &str) -> String {
    assert!(PROJ.contains(from), "{from}");
    with_duration("", EXC, &PROJ.replace(from, to))
}

fn proj_extra(extra: &str) -> String {
    with_duration("", EXC, &format!("{PROJ}{extra}\n"))
}

/// The valid model with a current source `[populations.stim]` of `source` (its `cell_type` and
/// `params` lines) injected into `exc` by a graded connection.
fn electrode(source: &str) -> String {
    format!(
        "{}\n[populations.stim]\nsize = 1\n{source}\n\n[projections.inject]\npre = \"stim\"\npost = \"exc\"\nconnector = {{ type = \"AllToAllConnector\" }}\nweight = 1.0\ndelay = 0.1\nsynapse = {{ type = \"graded_connection\" }}\n",
        with_duration("", EXC, PROJ)
    )
}

/// (name, model-file text, expected substring of the error).
pub fn broken_cases() -> Vec<(&'static str, String, &'static str)> {
    let mut cases = vec![
        ("empty file", String::new(), "empty"),
        ("blank file", "  \n# only a comment\n".into(), "empty"),
        ("not TOML", "dt = = 0.1\n[populations\n".into(), "not valid TOML"),
        ("binary junk", "\u{1}\u{2}\u{3}".into(), "not valid TOML"),
        ("unknown top-level key", with_duration("dtt = 0.1", EXC, PROJ), "dtt"),
        ("missing duration", model("", EXC, PROJ), "duration"),
        ("duration wrong type", model("duration = \"1s\"", EXC, PROJ), "duration"),
        ("duration not a multiple of dt", model("duration = 100.05", EXC, PROJ), "duration"),
        ("negative duration", model("duration = -5.0", EXC, PROJ), "duration"),
        ("dt zero", with_duration("", EXC, PROJ).replace("dt = 0.1", "dt = 0.0"), "dt"),
        ("dt NaN", with_duration("", EXC, PROJ).replace("dt = 0.1", "dt = nan"), "dt"),
        ("seed negative", with_duration("seed = -1", EXC, PROJ), "seed"),
        ("no populations", "dt = 0.1\nduration = 10.0\n".into(), "populations"),
        ("populations not a table", "duration = 10.0\npopulations = 3\n".into(), "populations"),
        ("population name with a path", with_duration("", EXC, PROJ).replace("[populations.src]", "[populations.\"../src\"]"), "populations.\"../src\""),
        ("projection name with a space", with_duration("", EXC, PROJ).replace("[projections.p]", "[projections.\"p q\"]"), "projections.\"p q\""),
        ("unknown parameter", exc("params = { tau_mm = 20.0 }"), "populations.exc.params.tau_mm"),
        ("non-PyNN spelling tau_syn_e", exc("params = { tau_syn_e = 5.0 }"), "populations.exc.params.tau_syn_e"),
        ("parameter wrong type", exc("params = { tau_m = \"fast\" }"), "populations.exc.params.tau_m"),
        ("negative time constant", exc("params = { tau_m = -20.0 }"), "populations.exc.params.tau_m"),
        ("NaN parameter", exc("params = { tau_m = nan }"), "populations.exc.params.tau_m"),
        ("infinite parameter", exc("params = { v_rest = -inf }"), "populations.exc.params.v_rest"),
        ("negative capacitance", exc("params = { cm = -1.0 }"), "populations.exc.params.cm"),
        ("params not a table", exc("params = 3"), "populations.exc.params"),
        ("unknown population key", exc("sizee = 3"), "populations.exc.sizee"),
        ("missing cell_type", with_duration("", "size = 10\n", PROJ), "populations.exc.cell_type"),
        ("unknown cell_type", with_duration("", "cell_type = \"IF_curr_exq\"\nsize = 10\n", PROJ), "populations.exc.cell_type"),
        ("missing size", with_duration("", "cell_type = \"IF_curr_exp\"\n", PROJ), "populations.exc.size"),
        ("size zero", with_duration("", "cell_type = \"IF_curr_exp\"\nsize = 0\n", PROJ), "populations.exc.size"),
        ("size wrong type", with_duration("", "cell_type = \"IF_curr_exp\"\nsize = \"ten\"\n", PROJ), "populations.exc.size"),
        ("size float", with_duration("", "cell_type = \"IF_curr_exp\"\nsize = 10.5\n", PROJ), "populations.exc.size"),
        ("absurd size", with_duration("", "cell_type = \"IF_curr_exp\"\nsize = 1000000000000\n", PROJ), "populations.exc.size"),
        ("absurd memory (long delay rings)", with_duration("", "cell_type = \"IF_curr_exp\"\nsize = 100000000\n", &PROJ.replace("delay = 1.0", "delay = 6000.0")), "populations.exc"),
        ("too many neurons in total", with_duration("", "cell_type = \"IF_curr_exp\"\nsize = 268435455\n", PROJ), "populations.exc.size"),
        ("unknown integration", exc("integration = \"brian\""), "populations.exc.integration"),
        ("integration on IF_cond_exp", with_duration("", "cell_type = \"IF_cond_exp\"\nsize = 10\nintegration = \"nest\"\n", PROJ), "populations.exc.integration"),
        ("unknown precision", exc("precision = \"f16\""), "populations.exc.precision"),
        ("precision on IF_cond_exp", with_duration("", "cell_type = \"IF_cond_exp\"\nsize = 10\nprecision = \"f32\"\n", PROJ), "populations.exc.precision"),
        ("f32 with sPyNNaker integration", exc("integration = \"spynnaker\"\nprecision = \"f32\""), "populations.exc.precision"),
        ("f32 with a synaptic time constant under dt/ln 8", exc("precision = \"f32\"\nparams = { tau_syn_E = 0.01 }"), "populations.exc.params.tau_syn_E"),
        ("initial value of unknown variable", exc("initial_values = { w = -60.0 }"), "populations.exc.initial_values.w"),
        ("initial value bad uniform", exc("initial_values = { v = { distribution = \"uniform\", low = -50.0, high = -60.0 } }"), "populations.exc.initial_values.v"),
        ("initial value unknown distribution", exc("initial_values = { v = { distribution = \"gaussian\", mu = -60.0 } }"), "populations.exc.initial_values.v"),
        ("record unknown variable", exc("record = [\"spikes\", \"w\"]"), "populations.exc.record"),
        ("record not a list", exc("record = 5"), "populations.exc.record"),
        ("record_neurons beyond size", exc("record = [\"v\"]\nrecord_neurons = 20"), "populations.exc.record_neurons"),
        ("record_neurons index beyond size", exc("record = [\"v\"]\nrecord_neurons = [1, 10]"), "populations.exc.record_neurons"),
        ("record_neurons bad keyword", exc("record = [\"v\"]\nrecord_neurons = \"every\""), "populations.exc.record_neurons"),
        ("sampling_interval not a multiple of dt", exc("record = [\"v\"]\nsampling_interval = 0.15"), "populations.exc.sampling_interval"),
        ("sampling_interval zero", exc("record = [\"v\"]\nsampling_interval = 0.0"), "populations.exc.sampling_interval"),
        ("negative Poisson rate", with_duration("", EXC, PROJ).replace("rate = 10.0", "rate = -1.0"), "populations.src.params.rate"),
        ("projections not a table", format!("duration = 10.0\nprojections = 1\n[populations.exc]\n{EXC}"), "projections"),
        ("unknown projection key", proj_extra("wieght = 0.1"), "projections.p.wieght"),
        ("unknown population in projection", proj("post = \"exc\"", "post = \"exd\""), "projections.p.post"),
        ("missing pre", proj("pre = \"src\"\n", ""), "projections.p.pre"),
        ("pre wrong type", proj("pre = \"src\"", "pre = 1"), "projections.p.pre"),
        ("missing connector", proj("connector = { type = \"AllToAllConnector\" }\n", ""), "projections.p.connector"),
        ("unknown connector", proj("AllToAllConnector", "AllToSomeConnector"), "projections.p.connector"),
        ("p_connect above 1", proj("{ type = \"AllToAllConnector\" }", "{ type = \"FixedProbabilityConnector\", p_connect = 1.5 }"), "projections.p.connector.p_connect"),
        ("p_connect missing", proj("{ type = \"AllToAllConnector\" }", "{ type = \"FixedProbabilityConnector\" }"), "projections.p.connector.p_connect"),
        ("unknown connector key", proj("{ type = \"AllToAllConnector\" }", "{ type = \"AllToAllConnector\", allow_self = false }"), "projections.p.connector.allow_self"),
        ("OneToOne between unequal sizes", proj("{ type = \"AllToAllConnector\" }", "{ type = \"OneToOneConnector\" }"), "projections.p.connector"),
        ("FromList index out of range", proj("{ type = \"AllToAllConnector\" }", "{ type = \"FromListConnector\", conn_list = [[0, 0], [7, 1]] }"), "projections.p.connector"),
        ("absurd connector", with_duration("", "cell_type = \"IF_curr_exp\"\nsize = 100000000\n", PROJ).replace("size = 5", "size = 100000000"), "projections.p.connector"),
        ("unknown receptor_type", proj("receptor_type = \"excitatory\"", "receptor_type = \"excitory\""), "projections.p.receptor_type"),
        ("projection onto a spike source", proj("post = \"exc\"", "post = \"src\""), "projections.p.receptor_type"),
        ("negative excitatory weight", proj("weight = 0.1", "weight = -0.1"), "projections.p.weight"),
        ("negative conductance weight", with_duration("", "cell_type = \"IF_cond_exp\"\nsize = 10\n", &PROJ.replace("weight = 0.1", "weight = -0.1").replace("\"excitatory\"", "\"inhibitory\"")), "projections.p.weight"),
        ("weight changing sign", proj("weight = 0.1", "weight = { distribution = \"uniform\", low = -0.1, high = 0.1 }").replace("\"excitatory\"", "\"inhibitory\""), "projections.p.weight"),
        ("infinite weight", proj("weight = 0.1", "weight = inf"), "projections.p.weight"),
        ("weight wrong type", proj("weight = 0.1", "weight = \"heavy\""), "projections.p.weight"),
        ("missing delay", proj("delay = 1.0\n", ""), "projections.p.delay"),
        ("delay below dt", proj("delay = 1.0", "delay = 0.05"), "projections.p.delay"),
        ("delay zero", proj("delay = 1.0", "delay = 0"), "projections.p.delay"),
        ("delay not a multiple of dt", proj("delay = 1.0", "delay = 0.15"), "projections.p.delay"),
        ("delay too long", proj("delay = 1.0", "delay = 100000.0"), "projections.p.delay"),
        ("delay NaN", proj("delay = 1.0", "delay = nan"), "projections.p.delay"),
        ("delay distribution with bad parameters", proj("delay = 1.0", "delay = { distribution = \"normal\", mu = 1.0, sigma = -1.0 }"), "projections.p.delay"),
        ("unknown synapse type", proj_extra("synapse = { type = \"TsodyksMarkram\" }"), "projections.p.synapse"),
        ("STDP unknown timing key", proj_extra("synapse = { type = \"STDPMechanism\", timing_dependence = { type = \"SpikePairRule\", tau_pluss = 20.0 }, weight_dependence = { type = \"AdditiveWeightDependence\", w_max = 1.0 } }"), "projections.p.synapse.timing_dependence.tau_pluss"),
        ("STDP missing weight_dependence", proj_extra("synapse = { type = \"STDPMechanism\", timing_dependence = { type = \"SpikePairRule\" } }"), "projections.p.synapse.weight_dependence"),
        ("STDP negative tau_plus", proj_extra("synapse = { type = \"STDPMechanism\", timing_dependence = { type = \"SpikePairRule\", tau_plus = -20.0 }, weight_dependence = { type = \"AdditiveWeightDependence\", w_max = 1.0 } }"), "projections.p.synapse.timing_dependence.tau_plus"),
        ("STDP weight above w_max", proj_extra("synapse = { type = \"STDPMechanism\", timing_dependence = { type = \"SpikePairRule\" }, weight_dependence = { type = \"AdditiveWeightDependence\", w_max = 0.01 } }"), "projections.p.weight"),
        ("STDP unknown semantics", proj_extra("synapse = { type = \"STDPMechanism\", semantics = \"brian\", timing_dependence = { type = \"SpikePairRule\" }, weight_dependence = { type = \"AdditiveWeightDependence\", w_max = 1.0 } }"), "projections.p.synapse.semantics"),
    ];
    cases.extend(astro_cases());
    cases
}

/// An astrocyte network: `[populations.exc]` is an aeif_cond_alpha_astro, `[populations.astro]`
/// an astrocyte_lr_1994, each with `extra` lines; then `rest` (projections, tripartite, ...).
fn astro(exc: &str, astro: &str, rest: &str) -> String {
    format!(
        "dt = 0.1\nduration = 10.0\n\n[populations.src]\ncell_type = \"SpikeSourcePoisson\"\nsize = 5\nparams = {{ rate = 10.0 }}\n\n[populations.exc]\ncell_type = \"aeif_cond_alpha_astro\"\nsize = 10\n{exc}\n[populations.astro]\ncell_type = \"astrocyte_lr_1994\"\nsize = 2\n{astro}\n{rest}"
    )
}

const SIC: &str = "[projections.p]\npre = \"astro\"\npost = \"exc\"\nconnector = { type = \"AllToAllConnector\" }\nsynapse = { type = \"sic_connection\" }\nweight = 1.0\ndelay = 1.0\n";
const TRI: &str = "[tripartite.t]\npre = \"exc\"\npost = \"exc\"\nastrocytes = \"astro\"\nconnector = { type = \"FixedProbabilityConnector\", p_connect = 0.5 }\nthird_factor = { p = 0.5, pool_size = 1, pool_type = \"block\" }\nprimary = { weight = 1.0, delay = 1.0 }\nthird_in = { weight = 1.0, delay = 1.0 }\nthird_out = { weight = 1.0, delay = 1.0 }\n";
const EXP: &str = "[experiment]\ntype = \"delayed_recall\"\nreadout = \"exc\"\nitems = 2\ncue = { rate = 100.0, duration = 10.0, weight = 1.0 }\nprobe = { rate = 100.0, duration = 10.0, weight = 1.0 }\ndelays = [0.0, 1.0]\ntrials = 2\n";

fn sic(from: &str, to: &str) -> String {
    assert!(SIC.contains(from), "{from}");
    astro("", "", &SIC.replace(from, to))
}

fn tri(from: &str, to: &str) -> String {
    assert!(TRI.contains(from), "{from}");
    astro("", "", &TRI.replace(from, to))
}

fn exp(from: &str, to: &str) -> String {
    assert!(EXP.contains(from), "{from}");
    astro("", "", &EXP.replace(from, to))
}

/// Astrocyte populations, graded (SIC) projections, tripartite sections and experiments.
fn astro_cases() -> Vec<(&'static str, String, &'static str)> {
    vec![
        ("astrocyte negative Ca_tot", astro("", "params = { Ca_tot = -1.0 }\n", ""), "populations.astro.params.Ca_tot"),
        ("astrocyte unknown parameter", astro("", "params = { tau_ip3 = 1.0 }\n", ""), "populations.astro.params.tau_ip3"),
        ("astrocyte Ca_astro above Ca_tot", astro("", "initial_values = { Ca_astro = 3.0 }\n", ""), "populations.astro.initial_values.Ca_astro"),
        ("astrocyte SIC is not an initial value", astro("", "initial_values = { SIC = 1.0 }\n", ""), "populations.astro.initial_values.SIC"),
        ("astrocyte record unknown variable", astro("", "record = [\"Ca\"]\n", ""), "populations.astro.record[0]"),
        ("AdEx V_reset above V_peak", astro("params = { V_reset = 5.0 }\n", "", ""), "populations.exc.params.V_reset"),
        ("AdEx V_peak below V_th", astro("params = { V_peak = -60.0, V_reset = -70.0 }\n", "", ""), "populations.exc.params.V_peak"),
        ("AdEx Delta_T overflows exp", astro("params = { Delta_T = 0.0001 }\n", "", ""), "populations.exc.params.Delta_T"),
        ("AdEx t_ref off the grid", astro("params = { t_ref = 0.25 }\n", "", ""), "populations.exc.params.t_ref"),
        ("AdEx negative C_m", astro("params = { C_m = -281.0 }\n", "", ""), "populations.exc.params.C_m"),
        ("AdEx unknown parameter", astro("params = { tau_syn_E = 2.0 }\n", "", ""), "populations.exc.params.tau_syn_E"),
        ("AdEx zero gsl_error_tol", astro("params = { gsl_error_tol = 0.0 }\n", "", ""), "populations.exc.params.gsl_error_tol"),
        ("negative weight into an astrocyte", astro("", "", "[projections.p]\npre = \"src\"\npost = \"astro\"\nconnector = { type = \"AllToAllConnector\" }\nweight = -1.0\ndelay = 1.0\n"), "projections.p.weight"),
        ("sic_connection from a spike source", sic("pre = \"astro\"", "pre = \"src\""), "projections.p.synapse.type"),
        ("sic_connection onto an astrocyte", sic("post = \"exc\"", "post = \"astro\""), "projections.p.synapse.type"),
        ("graded connection with a receptor", sic("delay = 1.0\n", "delay = 1.0\nreceptor_type = \"excitatory\"\n"), "projections.p.receptor_type"),
        ("graded connection from a port-less model", sic("{ type = \"sic_connection\" }", "{ type = \"graded_connection\" }").replace("pre = \"astro\"", "pre = \"exc\""), "projections.p.pre"),
        ("graded connection unknown output", sic("{ type = \"sic_connection\" }", "{ type = \"graded_connection\", output = \"Ca\" }"), "projections.p.synapse.output"),
        ("graded connection unknown key", sic("{ type = \"sic_connection\" }", "{ type = \"sic_connection\", gain = 2.0 }"), "projections.p.synapse.gain"),
        ("sic_connection delay zero", sic("delay = 1.0", "delay = 0.0"), "projections.p.delay"),
        ("tripartite missing third_factor", tri("third_factor = { p = 0.5, pool_size = 1, pool_type = \"block\" }\n", ""), "tripartite.t.third_factor"),
        ("tripartite p above 1", tri("p = 0.5", "p = 1.5"), "tripartite.t.third_factor.p"),
        ("tripartite p and p_third_if_primary", tri("p = 0.5", "p = 0.5, p_third_if_primary = 0.5"), "tripartite.t.third_factor.p_third_if_primary"),
        ("tripartite unknown pool_type", tri("\"block\"", "\"grid\""), "tripartite.t.third_factor.pool_type"),
        ("tripartite block pool does not divide", tri("pool_size = 1", "pool_size = 1").replace("size = 2\n", "size = 3\n"), "tripartite.t.third_factor.pool_size"),
        ("tripartite pool larger than the astrocytes", tri("pool_size = 1, pool_type = \"block\"", "pool_size = 3"), "tripartite.t.third_factor.pool_size"),
        ("tripartite unknown astrocytes", tri("astrocytes = \"astro\"", "astrocytes = \"glia\""), "tripartite.t.astrocytes"),
        ("tripartite astrocytes without SIC", tri("astrocytes = \"astro\"", "astrocytes = \"src\""), "tripartite.t.astrocytes"),
        ("tripartite negative third_in weight", tri("third_in = { weight = 1.0", "third_in = { weight = -1.0"), "tripartite.t.third_in.weight"),
        ("tripartite third_in receptor", tri("third_in = { weight = 1.0", "third_in = { receptor_type = \"excitatory\", weight = 1.0"), "tripartite.t.third_in.receptor_type"),
        ("tripartite missing third_out", tri("third_out = { weight = 1.0, delay = 1.0 }\n", ""), "tripartite.t.third_out"),
        ("tripartite unknown key", tri("pre = \"exc\"", "pre = \"exc\"\nrule = \"pairwise_bernoulli\""), "tripartite.t.rule"),
        ("BlockConnector sizes", proj("{ type = \"AllToAllConnector\" }", "{ type = \"BlockConnector\", blocks = 3 }"), "projections.p.connector"),
        ("BlockConnector zero blocks", proj("{ type = \"AllToAllConnector\" }", "{ type = \"BlockConnector\", blocks = 0 }"), "projections.p.connector.blocks"),
        ("experiment unknown type", exp("\"delayed_recall\"", "\"recall\""), "experiment.type"),
        ("experiment unknown readout", exp("readout = \"exc\"", "readout = \"units\""), "experiment.readout"),
        ("experiment readout is a source", exp("readout = \"exc\"", "readout = \"src\""), "experiment.readout"),
        ("experiment items do not divide", exp("items = 2", "items = 3"), "experiment.items"),
        ("experiment one item", exp("items = 2", "items = 1"), "experiment.items"),
        ("experiment negative delay", exp("[0.0, 1.0]", "[0.0, -1.0]"), "experiment.delays[1]"),
        ("experiment delay off the grid", exp("[0.0, 1.0]", "[0.05]"), "experiment.delays[0]"),
        ("experiment no delays", exp("[0.0, 1.0]", "[]"), "experiment.delays"),
        ("experiment missing cue", exp("cue = { rate = 100.0, duration = 10.0, weight = 1.0 }\n", ""), "experiment.cue"),
        ("experiment negative probe rate", exp("probe = { rate = 100.0", "probe = { rate = -100.0"), "experiment.probe.rate"),
        ("experiment cue unknown key", exp("cue = { rate", "cue = { start = 1.0, rate"), "experiment.cue.start"),
        ("experiment zero trials", exp("trials = 2", "trials = 0"), "experiment.trials"),
        ("experiment unknown key", exp("trials = 2", "trials = 2\nrepeats = 3"), "experiment.repeats"),
        ("experiment condition not a list", exp("trials = 2", "trials = 2\nconditions = { off = \"kappa=0\" }"), "experiment.conditions.off"),
        ("step current times decrease", electrode("cell_type = \"StepCurrentSource\"\nparams = { times = [1.0, 0.5], amplitudes = [0.1, 0.2] }"), "populations.stim.params.times[1] = 0.5"),
        ("step current amplitudes missing", electrode("cell_type = \"StepCurrentSource\"\nparams = { times = [1.0, 2.0], amplitudes = [0.1] }"), "populations.stim.params.amplitudes = 1 values"),
        ("DC source negative start", electrode("cell_type = \"DCSource\"\nparams = { start = -1.0 }"), "populations.stim.params.start = -1"),
        ("DC source stop before start", electrode("cell_type = \"DCSource\"\nparams = { start = 5.0, stop = 2.0 }"), "populations.stim.params.stop = 2"),
        ("AC source NaN phase", electrode("cell_type = \"ACSource\"\nparams = { phase = nan }"), "populations.stim.params.phase"),
        ("noise dt off the grid", electrode("cell_type = \"NoisyCurrentSource\"\nparams = { dt = 0.15 }"), "populations.stim.params.dt = 0.15"),
        ("noise negative stdev", electrode("cell_type = \"NoisyCurrentSource\"\nparams = { stdev = -0.1 }"), "populations.stim.params.stdev"),
        ("current source unknown parameter", electrode("cell_type = \"DCSource\"\nparams = { amplitud = 1.0 }"), "populations.stim.params.amplitud"),
        ("current into a spike source", electrode("cell_type = \"DCSource\"").replace("post = \"exc\"\nconnector = { type = \"AllToAllConnector\" }\nweight = 1.0", "post = \"src\"\nconnector = { type = \"AllToAllConnector\" }\nweight = 1.0"), "projections.inject.post"),
    ]
}
