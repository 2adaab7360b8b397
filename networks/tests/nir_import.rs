//! Bad NIR graphs are clear errors naming the node or edge and why, never a panic.

use networks::nir::{import, Array, Graph, ImportOptions, Node};

fn f32s(shape: Vec<u64>, v: &[f64]) -> Array {
    Array::f32(shape, v.iter().copied())
}

fn cubalif(n: u64) -> Node {
    let a = |x: f64| f32s(vec![n], &vec![x; n as usize]);
    Node::primitive(
        "CubaLIF",
        [
            ("tau_syn", a(0.005)),
            ("tau_mem", a(0.02)),
            ("r", a(1.0)),
            ("v_leak", a(0.0)),
            ("v_threshold", a(1.0)),
            ("v_reset", a(0.0)),
            ("w_in", a(1.0)),
        ],
    )
}

fn graph(nodes: Vec<(&str, Node)>, edges: &[(&str, &str)]) -> Graph {
    Graph {
        nodes: nodes.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        edges: edges
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
        metadata: Default::default(),
    }
}

fn input(n: i64) -> Node {
    Node::primitive("Input", [("shape", Array::i64(vec![1], vec![n]))])
}

/// Input(n_in) -> `node` -> CubaLIF(n_out).
fn through(n_in: i64, node: Node, n_out: u64) -> Graph {
    graph(
        vec![
            ("input", input(n_in)),
            ("mid", node),
            ("lif", cubalif(n_out)),
        ],
        &[("input", "mid"), ("mid", "lif")],
    )
}

fn error(g: &Graph) -> (String, &'static str) {
    let e = import(g, "bad.nir", &ImportOptions::default()).unwrap_err();
    (e.to_string(), e.code())
}

#[test]
fn an_edge_to_a_missing_node() {
    let g = graph(
        vec![("input", input(1)), ("lif", cubalif(1))],
        &[("input", "ghost")],
    );
    let (msg, code) = error(&g);
    assert_eq!(code, "E1103");
    assert!(
        msg.contains("bad.nir") && msg.contains("no node `ghost`"),
        "{msg}"
    );
}

#[test]
fn a_delay_that_is_not_a_multiple_of_dt() {
    let g = through(
        1,
        Node::primitive("Delay", [("delay", f32s(vec![1], &[0.00015]))]),
        1,
    );
    let (msg, code) = error(&g);
    assert_eq!(code, "E1103");
    assert!(msg.contains("not a multiple of dt = 0.1 ms"), "{msg}");
}

#[test]
fn a_cycle_of_stateless_nodes() {
    let scale = || Node::primitive("Scale", [("scale", f32s(vec![1], &[1.0]))]);
    let g = graph(
        vec![
            ("input", input(1)),
            ("a", scale()),
            ("b", scale()),
            ("lif", cubalif(1)),
        ],
        &[("input", "a"), ("a", "b"), ("b", "a"), ("b", "lif")],
    );
    let (msg, code) = error(&g);
    assert_eq!(code, "E1103");
    assert!(msg.contains("algebraic loop"), "{msg}");
}

#[test]
fn a_weight_that_does_not_fit_its_input() {
    let g = through(
        3,
        Node::primitive("Linear", [("weight", f32s(vec![1, 2], &[1.0, 1.0]))]),
        1,
    );
    let (msg, code) = error(&g);
    assert_eq!(code, "E1102");
    assert!(
        msg.contains("node `mid` (Linear)") && msg.contains("2 columns"),
        "{msg}"
    );
}

#[test]
fn an_unknown_padding_and_a_bad_time_constant() {
    let conv = Node::primitive(
        "Conv1d",
        [
            ("weight", f32s(vec![1, 1, 3], &[1.0, 1.0, 1.0])),
            ("stride", Array::i64(vec![1], vec![1])),
            ("dilation", Array::i64(vec![1], vec![1])),
            ("groups", Array::i64(vec![], vec![1])),
            ("padding", Array::string("reflect")),
        ],
    );
    let g = graph(
        vec![
            (
                "input",
                Node::primitive("Input", [("shape", Array::i64(vec![2], vec![1, 5]))]),
            ),
            ("conv", conv),
            ("lif", cubalif(3)),
        ],
        &[("input", "conv"), ("conv", "lif")],
    );
    let (msg, code) = error(&g);
    assert_eq!(code, "E1102");
    assert!(
        msg.contains("node `conv` (Conv1d)") && msg.contains("\"reflect\""),
        "{msg}"
    );

    let mut lif = cubalif(1);
    if let Node::Primitive { fields, .. } = &mut lif {
        fields.insert("tau_mem".into(), f32s(vec![1], &[-0.02]));
    }
    let g = graph(vec![("input", input(1)), ("lif", lif)], &[("input", "lif")]);
    let (msg, code) = error(&g);
    assert_eq!(code, "E1102");
    assert!(
        msg.contains("node `lif` (CubaLIF)") && msg.contains("tau_mem"),
        "{msg}"
    );
}
