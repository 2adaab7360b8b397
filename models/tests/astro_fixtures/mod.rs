//! The NEST astrocyte fixtures as the astro tests read them (`shared/reference`).

#![allow(dead_code)]

use models::astro::aeif_cond_alpha_astro::AeifCondAlphaAstroParams;
use models::astro::lr1994::AstrocyteLr1994Params;
use serde_json::Value as Json;

pub const REF: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/reference");
pub struct Csv {
    pub header: Vec<String>,
    pub cols: Vec<Vec<f64>>,
}

impl Csv {
    pub fn load(name: &str) -> Csv {
        let text = std::fs::read_to_string(format!("{REF}/{name}")).expect("fixture");
        let mut lines = text.lines();
        let header: Vec<String> = lines
            .next()
            .unwrap()
            .split(',')
            .map(str::to_string)
            .collect();
        let mut cols = vec![Vec::new(); header.len()];
        for l in lines.filter(|l| !l.trim().is_empty()) {
            for (j, f) in l.split(',').enumerate() {
                cols[j].push(f.trim().parse::<f64>().unwrap());
            }
        }
        Csv { header, cols }
    }
    pub fn col(&self, name: &str) -> &[f64] {
        &self.cols[self.header.iter().position(|h| h == name).unwrap()]
    }
}

pub fn meta() -> Json {
    serde_json::from_str(
        &std::fs::read_to_string(format!("{REF}/nest_astrocyte_trace_meta.json")).unwrap(),
    )
    .unwrap()
}

pub fn num(v: &Json, k: &str) -> f64 {
    v[k].as_f64().unwrap_or_else(|| panic!("meta key {k}"))
}

/// The scenario's parameters, read from the meta JSON through serde with NEST's names.
pub fn params(sc: &Json) -> (AstrocyteLr1994Params, AeifCondAlphaAstroParams) {
    let mut a = serde_json::Map::new();
    let astro = sc["params"]["astrocyte_lr_1994"].as_object().unwrap();
    for (k, v) in astro {
        if !["IP3", "Ca_astro", "h_IP3R"].contains(&k.as_str()) {
            a.insert(k.clone(), v.clone());
        }
    }
    for (k, v) in sc["params"]["astrocyte_overrides"].as_object().unwrap() {
        a.insert(k.clone(), v.clone());
    }
    let mut n = serde_json::Map::new();
    for (k, v) in sc["params"]["aeif_cond_alpha_astro"].as_object().unwrap() {
        // The rest are initial values.
        if !["V_m", "w", "g_ex", "g_in"].contains(&k.as_str()) {
            n.insert(k.clone(), v.clone());
        }
    }
    (
        serde_json::from_value(Json::Object(a)).unwrap(),
        serde_json::from_value(Json::Object(n)).unwrap(),
    )
}
