//! PACMAN placements JSON (`placements.json` schema, spec §3.2):
//! `[{"vertex_label": "exc:0-255", "x": 1, "y": 0, "p": 3}, ...]`.

use crate::mapping::Mapping;
use serde::Serialize;

#[derive(Serialize)]
struct JsonPlacement {
    vertex_label: String,
    x: u32,
    y: u32,
    p: u8,
}

/// The label of a vertex as sPyNNaker writes it: `population:first-last` (last inclusive) for a
/// slice, `population_delayed:first-last` for a slice of its delay extension.
pub fn slice_label(names: &[String], mapping: &Mapping, vertex: usize) -> String {
    let (s, suffix) = match mapping.delay_slice(vertex) {
        Some(d) => (&mapping.slices[d.source], "_delayed"),
        None => (&mapping.slices[vertex], ""),
    };
    format!(
        "{}{suffix}:{}-{}",
        names[s.pop],
        s.neurons.start,
        s.neurons.end.saturating_sub(1)
    )
}

/// Placements as PACMAN JSON text; `names` are the population names.
pub fn placements_json(names: &[String], mapping: &Mapping) -> String {
    let rows: Vec<JsonPlacement> = mapping
        .placements
        .iter()
        .enumerate()
        .map(|(i, c)| JsonPlacement {
            vertex_label: slice_label(names, mapping, i),
            x: c.x,
            y: c.y,
            p: c.p,
        })
        .collect();
    serde_json::to_string_pretty(&rows).expect("plain data")
}
