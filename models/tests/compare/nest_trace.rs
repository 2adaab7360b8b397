//! The NEST reference traces of `bench/peers/nest_iaf_psc_exp_trace.py` and
//! `nest_alpha_traces.py`: a directory with `setup.json` (parameters in NEST's units, input
//! spikes), `trace.csv` (time and the recorded variables per step) and `spikes.csv`.

use serde_json::Value;

pub struct NestTrace {
    pub setup: Value,
    pub dt: f64,
    pub time: Vec<f64>,
    /// The recorded columns after `time_ms`, in the order they were asked for.
    pub columns: Vec<Vec<f64>>,
    pub spikes_ms: Vec<f64>,
}

impl NestTrace {
    /// Loads `dir`, checking that NEST 3.10 recorded `model` with the columns `recorded`.
    pub fn load(dir: &str, model: &str, recorded: &[&str]) -> Self {
        let path = format!("{dir}/setup.json");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let setup: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(setup["simulator"], "NEST 3.10.0");
        assert_eq!(setup["model"], model);
        let (header, mut columns) = super::csv_columns(&format!("{dir}/trace.csv"));
        let mut expected = vec!["time_ms"];
        expected.extend_from_slice(recorded);
        assert_eq!(header, expected);
        let (_, mut spikes) = super::csv_columns(&format!("{dir}/spikes.csv"));
        let time = columns.remove(0);
        Self {
            dt: setup["resolution_ms"].as_f64().unwrap(),
            setup,
            time,
            columns,
            spikes_ms: spikes.pop().unwrap(),
        }
    }

    /// A parameter of the model, in NEST's units.
    pub fn param(&self, key: &str) -> f64 {
        self.setup["params"][key]
            .as_f64()
            .unwrap_or_else(|| panic!("setup.json: params.{key}"))
    }

    /// The step of a grid time; panics off the grid.
    pub fn step_of(&self, t_ms: f64) -> usize {
        let s = (t_ms / self.dt).round();
        assert!(
            (s * self.dt - t_ms).abs() < 1e-9,
            "{t_ms} ms is off the grid"
        );
        s as usize
    }

    /// Input per update (excitatory sum, inhibitory magnitude sum) of the input spikes'
    /// `weight_key` divided by `unit`: a spike arriving at time T is input to update T/dt − 1
    /// (NEST adds it at the end of the update before T, so it acts from T on).
    pub fn inputs(&self, weight_key: &str, unit: f64) -> Vec<(f64, f64)> {
        let delay = self.setup["delay_ms"].as_f64().unwrap();
        let mut per_update = vec![(0.0, 0.0); self.time.len() + 1];
        for s in self.setup["input_spikes"].as_array().unwrap() {
            let arrival = self.step_of(s["time_ms"].as_f64().unwrap() + delay);
            let w = s[weight_key].as_f64().unwrap() / unit;
            let slot = &mut per_update[arrival - 1];
            if w >= 0.0 {
                slot.0 += w;
            } else {
                slot.1 -= w;
            }
        }
        per_update
    }
}
