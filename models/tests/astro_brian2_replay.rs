//! Replays the Brian2 2.9.0 G-ChI / gliotransmission / TM / COBA-LIF fixture (spec §5.2 Tier A).

use models::astro::gchi::{GchiAstrocyte, GchiInit, GchiParams, LifCond, LifCondParams};
use models::astro::tm_glio::{TmGlioParams, TmGlioSynapses};
use std::collections::HashSet;

mod compare;

use compare::{exceeds, max_of};

const REF: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/reference");

/// Brian2's printed quantities (`"0.0009 mM/s"`, `"50. nM"`, `"1500. m^3 s^-1 mol^-1"`) in
/// engram's units: ms, µM, mV, nS, pF, pA; rates per ms.
fn brian_values(m: &serde_json::Value) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for (k, v) in m.as_object().unwrap() {
        let x = match v {
            serde_json::Value::Number(n) => n.as_f64().unwrap(),
            serde_json::Value::String(s) => {
                let (num, unit) = s.split_once(' ').unwrap_or((s.as_str(), ""));
                let scale = match unit.trim() {
                    "" | "mV" | "nS" | "pF" | "pA" | "ms" | "uM" | "mM/s" => 1.0,
                    "V" => 1e3,
                    "M" => 1e6,
                    "mM" => 1e3,
                    "nM" => 1e-3,
                    "Hz" => 1e-3,
                    "mHz" => 1e-6,
                    // m^3/(mol s) = 1e3 /(M s) = 1e-6 /(µM ms)
                    "m^3 s^-1 mol^-1" => 1e-6,
                    other => panic!("unit {other} of {k} not handled"),
                };
                num.trim().parse::<f64>().unwrap() * scale
            }
            other => panic!("{k} = {other}"),
        };
        out.insert(k.clone(), serde_json::json!(x));
    }
    serde_json::Value::Object(out)
}

#[test]
fn astro_brian2_gchi_tripartite_tier_a() {
    let meta: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{REF}/brian2_gchi_trace_meta.json")).unwrap(),
    )
    .unwrap();
    let text = std::fs::read_to_string(format!("{REF}/brian2_gchi_tripartite_trace.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let rows: Vec<Vec<f64>> = lines
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(|x| x.parse().unwrap()).collect())
        .collect();
    let spikes_txt =
        std::fs::read_to_string(format!("{REF}/brian2_gchi_input_spikes.csv")).unwrap();
    let dt = meta["dt_ms"].as_f64().unwrap();
    let n_steps = (meta["duration_ms"].as_f64().unwrap() / dt).round() as usize;
    let spike_steps: HashSet<usize> = spikes_txt
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| (l.trim().parse::<f64>().unwrap() / dt).round() as usize)
        .collect();
    let rec_every = (1.0 / dt).round() as usize;
    // Every parameter and initial value comes from the fixture's meta file, in engram units.
    let params = brian_values(&meta["parameters"]);
    let w_e = params["w_e"].as_f64().unwrap();
    let init = &meta["initial_state"];
    let gchi: GchiParams = serde_json::from_value(params.clone()).unwrap();
    let tm: TmGlioParams = serde_json::from_value(params.clone()).unwrap();
    let lif: LifCondParams = serde_json::from_value(params).unwrap();
    let gchi_init: GchiInit = serde_json::from_value(brian_values(&init["astro"])).unwrap();
    let mut astro = GchiAstrocyte::new(1, GchiParams::default(), GchiInit::default());
    let mut syn = TmGlioSynapses::new(1, TmGlioParams::default());
    let mut nrn = LifCond::new(1, LifCondParams::default());
    let syn0 = brian_values(&init["synapse"]);
    (syn.x_S[0], syn.u_S[0], syn.Y_S[0], syn.Gamma_S[0]) = (
        syn0["x_S"].as_f64().unwrap(),
        syn0["u_S"].as_f64().unwrap(),
        syn0["Y_S"].as_f64().unwrap(),
        syn0["Gamma_S"].as_f64().unwrap(),
    );
    let nrn0 = brian_values(&init["neuron"]);
    (nrn.v[0], nrn.g_e[0]) = (nrn0["v"].as_f64().unwrap(), nrn0["g_e"].as_f64().unwrap());
    // The models' defaults are the fixture's values to the precision Brian2 printed them
    // (9 significant digits: Omega_G = 8.33333333 mHz is 0.5/min); the run uses the exact
    // defaults.
    let same = |a: String, b: String| {
        let nums = |s: &str| -> Vec<f64> {
            s.split(|c: char| !(c.is_ascii_digit() || "-.e".contains(c)))
                .filter_map(|t| t.parse().ok())
                .collect()
        };
        let (x, y) = (nums(&a), nums(&b));
        assert_eq!(x.len(), y.len(), "{a} vs {b}");
        for (p, q) in x.iter().zip(&y) {
            assert!((p - q).abs() <= 1e-8 * q.abs(), "{a}\nvs default\n{b}");
        }
    };
    same(format!("{gchi:?}"), format!("{:?}", GchiParams::default()));
    same(format!("{tm:?}"), format!("{:?}", TmGlioParams::default()));
    same(
        format!("{lif:?}"),
        format!("{:?}", LifCondParams::default()),
    );
    same(
        format!("{gchi_init:?}"),
        format!("{:?}", GchiInit::default()),
    );
    let mut mine: Vec<[f64; 14]> = Vec::new();
    let mut releases = Vec::new();
    for n in 0..n_steps {
        let t = n as f64 * dt;
        if n % rec_every == 0 {
            mine.push([
                t,
                syn.Y_S[0],
                syn.Gamma_S[0],
                syn.u_S[0],
                syn.x_S[0],
                syn.r_S[0],
                astro.Gamma_A[0],
                astro.I[0],
                astro.C[0],
                astro.h[0],
                astro.x_A[0],
                astro.G_A[0],
                nrn.v[0],
                nrn.g_e[0],
            ]);
        }
        // groups order -1: summed variables
        let y_s = [syn.Y_S[0]];
        let g_a = [astro.G_A[0]];
        // groups order 0: state updaters; thresholds
        astro.update_and_threshold(dt, &y_s);
        nrn.update_and_threshold(dt, t);
        syn.update(dt, &g_a);
        if astro.released[0] {
            releases.push((t * 1e4).round() / 1e4);
        }
        // synapses: on_pre
        if spike_steps.contains(&n) {
            let r = syn.on_pre(0);
            nrn.g_e[0] += w_e * r;
        }
        // resets
        astro.reset();
    }
    let expected: Vec<f64> = meta["astrocyte_release_times_ms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    println!("releases {releases:?} vs Brian2 {expected:?}");
    assert_eq!(releases, vec![885.1]);
    assert_eq!(releases, expected);
    assert_eq!(mine.len(), rows.len(), "rows against Brian2's");
    let m = rows.len();
    let mut failed = vec![];
    for j in 1..header.len() {
        let scale = max_of(rows.iter().map(|r| r[j].abs()));
        let scale = if scale == 0.0 { 1.0 } else { scale };
        let err = max_of((0..m).map(|k| (mine[k][j] - rows[k][j]).abs()));
        let rel = err / scale;
        println!(
            "  {:8} max|err| = {err:.3e}  relative {rel:.3e} (tol 1e-9)",
            header[j]
        );
        if exceeds(rel, 1e-9) {
            failed.push(header[j]);
        }
    }
    assert!(failed.is_empty(), "Tier A exceeded: {failed:?}");
}
