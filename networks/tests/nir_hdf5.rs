//! The pure-Rust NIR reader against the file the reference implementation (nir 1.0.8) wrote:
//! chunked deflate datasets, vlen UTF-8 strings, the (n, 2) edge array; and what engram writes
//! reads back the same.

use std::path::PathBuf;

use networks::nir::hdf5::{read, write};
use networks::nir::{Data, Node};

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/reference/nir_example_cubalif.nir")
}

fn f32s(node: &Node, field: &str) -> Vec<f32> {
    let Node::Primitive { fields, .. } = node else {
        panic!("{node:?}")
    };
    match &fields[field].data {
        Data::F32(v) => v.clone(),
        other => panic!("{field}: {other:?}"),
    }
}

#[test]
fn reads_the_file_nir_wrote() {
    let (version, g) = read(&fixture()).unwrap();
    assert_eq!(version, "1.0.8");
    let edges: Vec<(&str, &str)> = g
        .edges
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    assert_eq!(
        edges,
        [("input", "affine"), ("affine", "lif"), ("lif", "output")]
    );
    assert_eq!(
        g.metadata["description"].text(),
        Some("tiny Input->Affine->CubaLIF->Output example")
    );
    let kinds: Vec<(&str, &str)> = g
        .nodes
        .iter()
        .map(|(n, x)| (n.as_str(), x.kind()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("affine", "Affine"),
            ("input", "Input"),
            ("lif", "CubaLIF"),
            ("output", "Output")
        ]
    );
    let affine = &g.nodes["affine"];
    assert_eq!(f32s(affine, "weight"), [1.0, 0.5, -0.25, 0.0, 2.0, 1.0]);
    let Node::Primitive { fields, .. } = affine else {
        unreachable!()
    };
    assert_eq!(fields["weight"].shape, [2, 3]);
    assert_eq!(f32s(affine, "bias"), [0.1, -0.1]);
    let lif = &g.nodes["lif"];
    assert_eq!(f32s(lif, "tau_mem"), [0.02, 0.02]);
    assert_eq!(f32s(lif, "tau_syn"), [0.005, 0.005]);
    assert_eq!(f32s(lif, "v_threshold"), [1.0, 1.0]);
    assert_eq!(f32s(lif, "w_in"), [1.0, 1.0]);
    let Node::Primitive { fields, .. } = &g.nodes["input"] else {
        unreachable!()
    };
    assert_eq!(fields["shape"].data, Data::I64(vec![3]));
}

#[test]
fn what_engram_writes_reads_back_the_same() {
    let (version, g) = read(&fixture()).unwrap();
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let copy = dir.join(format!("nir-copy-{}.nir", std::process::id()));
    write(&copy, &g, &version).unwrap();
    let (v2, g2) = read(&copy).unwrap();
    assert_eq!(v2, version);
    assert_eq!(g2, g);
}

#[test]
fn a_file_that_is_not_hdf5_is_a_clear_error() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let bad = dir.join(format!("not-nir-{}.nir", std::process::id()));
    std::fs::write(&bad, b"dt = 0.1\n").unwrap();
    let e = read(&bad).unwrap_err().to_string();
    assert!(
        e.contains("not-nir") && e.contains("not an HDF5 file"),
        "{e}"
    );
}
