//! The stateless NIR nodes as sparse linear maps from their input elements to their output
//! elements (row-major, PyTorch layout): Affine, Linear, Scale, Conv1d, Conv2d, SumPool2d,
//! AvgPool2d, Flatten, Delay, and the Input/Output of a nested graph (identity).

use std::collections::BTreeMap;

use super::graph::Array;

/// `out = W·in + bias`, each input element delayed by `delay_s` (seconds) first.
#[derive(Debug, Clone)]
pub struct LinearMap {
    pub out_shape: Vec<u64>,
    /// (output element, input element, weight).
    pub entries: Vec<(usize, usize, f64)>,
    /// Per output element; empty when there is none.
    pub bias: Vec<f64>,
    /// Per input element; empty when there is none.
    pub delay_s: Vec<f64>,
}

/// The node types this module maps.
pub const LINEAR_KINDS: &[&str] = &[
    "Affine",
    "Linear",
    "Scale",
    "Conv1d",
    "Conv2d",
    "SumPool2d",
    "AvgPool2d",
    "Flatten",
    "Delay",
];

fn field<'a>(fields: &'a BTreeMap<String, Array>, name: &str) -> Result<&'a Array, String> {
    fields
        .get(name)
        .ok_or_else(|| format!("has no `{name}` field"))
}

fn numbers(fields: &BTreeMap<String, Array>, name: &str) -> Result<Vec<f64>, String> {
    field(fields, name)?
        .numbers()
        .ok_or_else(|| format!("`{name}` is not numeric"))
}

/// An int or per-dimension ints, as `dims` values.
fn per_dim(fields: &BTreeMap<String, Array>, name: &str, dims: usize) -> Result<Vec<i64>, String> {
    let v = numbers(fields, name)?;
    match v.len() {
        1 => Ok(vec![v[0] as i64; dims]),
        n if n == dims => Ok(v.iter().map(|&x| x as i64).collect()),
        n => Err(format!("`{name}` has {n} values, expected 1 or {dims}")),
    }
}

fn count(shape: &[u64]) -> usize {
    shape.iter().product::<u64>() as usize
}

/// The identity on `in_shape` (nested graphs' Input and Output).
pub fn identity(in_shape: &[u64]) -> LinearMap {
    LinearMap {
        out_shape: in_shape.to_vec(),
        entries: (0..count(in_shape)).map(|i| (i, i, 1.0)).collect(),
        bias: Vec::new(),
        delay_s: Vec::new(),
    }
}

/// The map of a stateless node of type `kind` whose input has shape `in_shape`.
pub fn linear_map(
    kind: &str,
    fields: &BTreeMap<String, Array>,
    in_shape: &[u64],
) -> Result<LinearMap, String> {
    let n_in = count(in_shape);
    match kind {
        "Affine" | "Linear" => {
            let w = field(fields, "weight")?;
            if w.shape.len() != 2 {
                return Err(format!(
                    "weight has shape {:?}, expected (out, in)",
                    w.shape
                ));
            }
            let (rows, cols) = (w.shape[0] as usize, w.shape[1] as usize);
            if cols != n_in {
                return Err(format!(
                    "weight has {cols} columns but its input has {n_in} elements"
                ));
            }
            let wv = w.numbers().ok_or("weight is not numeric")?;
            let bias = if kind == "Affine" {
                let b = numbers(fields, "bias")?;
                if b.len() != rows {
                    return Err(format!("bias has {} values, weight {rows} rows", b.len()));
                }
                b
            } else {
                Vec::new()
            };
            Ok(LinearMap {
                out_shape: vec![rows as u64],
                entries: (0..rows)
                    .flat_map(|r| (0..cols).map(move |c| (r, c)))
                    .map(|(r, c)| (r, c, wv[r * cols + c]))
                    .filter(|e| e.2 != 0.0)
                    .collect(),
                bias,
                delay_s: Vec::new(),
            })
        }
        "Scale" => {
            let s = numbers(fields, "scale")?;
            if s.len() != n_in {
                return Err(format!("scale has {} values, input {n_in}", s.len()));
            }
            Ok(LinearMap {
                out_shape: in_shape.to_vec(),
                entries: s.iter().enumerate().map(|(i, &w)| (i, i, w)).collect(),
                bias: Vec::new(),
                delay_s: Vec::new(),
            })
        }
        "Delay" => {
            let d = numbers(fields, "delay")?;
            if d.len() != n_in && d.len() != 1 {
                return Err(format!("delay has {} values, input {n_in}", d.len()));
            }
            let mut m = identity(in_shape);
            m.delay_s = (0..n_in).map(|i| d[i.min(d.len() - 1)]).collect();
            Ok(m)
        }
        "Flatten" => {
            let rank = in_shape.len() as i64;
            let dim = |name: &str, default: i64| -> Result<usize, String> {
                let v = fields
                    .get(name)
                    .and_then(Array::numbers)
                    .map_or(default, |v| v[0] as i64);
                let d = if v < 0 { v + rank } else { v };
                if d < 0 || d >= rank.max(1) {
                    return Err(format!("{name} = {v} for an input of rank {rank}"));
                }
                Ok(d as usize)
            };
            let (start, end) = (dim("start_dim", 1)?, dim("end_dim", -1)?);
            let mut out: Vec<u64> = in_shape[..start].to_vec();
            out.push(in_shape[start..=end.max(start)].iter().product());
            out.extend_from_slice(&in_shape[end.max(start) + 1..]);
            let mut m = identity(in_shape);
            m.out_shape = out;
            Ok(m)
        }
        "Conv1d" | "Conv2d" => conv(kind, fields, in_shape),
        "SumPool2d" | "AvgPool2d" => pool(kind, fields, in_shape),
        other => Err(format!("{other} is not a stateless node")),
    }
}

/// Output length of a convolution or pooling along one dimension (PyTorch's formula).
fn out_len(n: i64, k: i64, s: i64, p: i64, d: i64) -> i64 {
    (n + 2 * p - d * (k - 1) - 1).div_euclid(s) + 1
}

/// The spatial input shape: from the preceding node (C, ...) or the node's `input_shape` field.
fn spatial(in_shape: &[u64], dims: usize) -> Result<(u64, Vec<i64>), String> {
    if in_shape.len() == dims + 1 {
        Ok((
            in_shape[0],
            in_shape[1..].iter().map(|&x| x as i64).collect(),
        ))
    } else {
        Err(format!(
            "input has shape {in_shape:?}, expected (channels, {} spatial dimensions)",
            dims
        ))
    }
}

fn conv(
    kind: &str,
    fields: &BTreeMap<String, Array>,
    in_shape: &[u64],
) -> Result<LinearMap, String> {
    let dims = if kind == "Conv1d" { 1 } else { 2 };
    let w = field(fields, "weight")?;
    if w.shape.len() != dims + 2 {
        return Err(format!("weight has shape {:?}", w.shape));
    }
    let wv = w.numbers().ok_or("weight is not numeric")?;
    let (c_out, c_in_g) = (w.shape[0] as usize, w.shape[1] as usize);
    let k: Vec<i64> = w.shape[2..].iter().map(|&x| x as i64).collect();
    let groups = fields
        .get("groups")
        .and_then(Array::numbers)
        .map_or(1, |v| v[0] as usize);
    let (c_in, size) = spatial(in_shape, dims)?;
    if c_in as usize != c_in_g * groups || c_out % groups != 0 {
        return Err(format!(
            "{c_in} input channels do not fit weight {:?} with groups = {groups}",
            w.shape
        ));
    }
    let stride = per_dim(fields, "stride", dims)?;
    let dilation = per_dim(fields, "dilation", dims)?;
    let padding: Vec<i64> = match field(fields, "padding")?.text() {
        Some("valid") => vec![0; dims],
        Some("same") => (0..dims).map(|i| dilation[i] * (k[i] - 1) / 2).collect(),
        Some(other) => {
            return Err(format!(
                "padding = {other:?}; allowed: an int, \"same\", \"valid\""
            ))
        }
        None => per_dim(fields, "padding", dims)?,
    };
    let out: Vec<i64> = (0..dims)
        .map(|i| out_len(size[i], k[i], stride[i], padding[i], dilation[i]))
        .collect();
    if out.iter().any(|&o| o <= 0) {
        return Err(format!("the output would be empty ({out:?})"));
    }
    let bias = fields
        .get("bias")
        .and_then(Array::numbers)
        .unwrap_or_default();
    let (h_out, w_out) = if dims == 1 {
        (1, out[0])
    } else {
        (out[0], out[1])
    };
    let (h_in, w_in) = if dims == 1 {
        (1, size[0])
    } else {
        (size[0], size[1])
    };
    let (kh, kw) = if dims == 1 { (1, k[0]) } else { (k[0], k[1]) };
    let at = |v: &Vec<i64>, i: usize| if dims == 1 { v[0] } else { v[i] };
    let (sh, sw) = (if dims == 1 { 1 } else { stride[0] }, at(&stride, 1));
    let (ph, pw) = (if dims == 1 { 0 } else { padding[0] }, at(&padding, 1));
    let (dh, dw) = (if dims == 1 { 1 } else { dilation[0] }, at(&dilation, 1));
    let per_group_out = c_out / groups;
    let mut entries = Vec::new();
    for co in 0..c_out {
        let g = co / per_group_out;
        for y in 0..h_out {
            for x in 0..w_out {
                let o = (co as i64 * h_out + y) * w_out + x;
                for ci in 0..c_in_g {
                    for ky in 0..kh {
                        for kx in 0..kw {
                            let iy = y * sh - ph + ky * dh;
                            let ix = x * sw - pw + kx * dw;
                            if iy < 0 || iy >= h_in || ix < 0 || ix >= w_in {
                                continue;
                            }
                            let wt = wv[((co * c_in_g + ci) * kh as usize + ky as usize)
                                * kw as usize
                                + kx as usize];
                            if wt != 0.0 {
                                let cin = (g * c_in_g + ci) as i64;
                                let i = (cin * h_in + iy) * w_in + ix;
                                entries.push((o as usize, i as usize, wt));
                            }
                        }
                    }
                }
            }
        }
    }
    let mut out_shape = vec![c_out as u64];
    out_shape.extend(out.iter().map(|&o| o as u64));
    let n_out = count(&out_shape);
    let bias = if bias.iter().any(|&b| b != 0.0) {
        (0..n_out).map(|o| bias[o / (n_out / c_out)]).collect()
    } else {
        Vec::new()
    };
    Ok(LinearMap {
        out_shape,
        entries,
        bias,
        delay_s: Vec::new(),
    })
}

fn pool(
    kind: &str,
    fields: &BTreeMap<String, Array>,
    in_shape: &[u64],
) -> Result<LinearMap, String> {
    let (c, size) = spatial(in_shape, 2)?;
    let k = per_dim(fields, "kernel_size", 2)?;
    let s = per_dim(fields, "stride", 2)?;
    let p = per_dim(fields, "padding", 2)?;
    let out: Vec<i64> = (0..2)
        .map(|i| out_len(size[i], k[i], s[i], p[i], 1))
        .collect();
    if out.iter().any(|&o| o <= 0) {
        return Err(format!("the output would be empty ({out:?})"));
    }
    let scale = if kind == "AvgPool2d" {
        1.0 / (k[0] * k[1]) as f64
    } else {
        1.0
    };
    let mut entries = Vec::new();
    for ch in 0..c as i64 {
        for y in 0..out[0] {
            for x in 0..out[1] {
                let o = (ch * out[0] + y) * out[1] + x;
                for ky in 0..k[0] {
                    for kx in 0..k[1] {
                        let (iy, ix) = (y * s[0] - p[0] + ky, x * s[1] - p[1] + kx);
                        if iy >= 0 && iy < size[0] && ix >= 0 && ix < size[1] {
                            let i = (ch * size[0] + iy) * size[1] + ix;
                            entries.push((o as usize, i as usize, scale));
                        }
                    }
                }
            }
        }
    }
    Ok(LinearMap {
        out_shape: vec![c, out[0] as u64, out[1] as u64],
        entries,
        bias: Vec::new(),
        delay_s: Vec::new(),
    })
}
