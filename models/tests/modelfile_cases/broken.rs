//! Broken model files shared by `models/tests/modelfile_errors.rs` (library level) and the root
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

/// (name, model-file text, expected substring of the error).
pub fn broken_cases() -> Vec<(&'static str, String, &'static str)> {
    vec![
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
    ]
}
