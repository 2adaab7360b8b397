//! Comparisons of a recording with its reference that cannot pass by accident: lengths must
//! agree, and a NaN anywhere makes the difference NaN (`f64::max` would skip it), so a check
//! `difference <= tolerance` fails on it.

#![allow(dead_code)]

pub mod nest_trace;

/// The larger of two values, NaN if either is NaN.
pub fn nan_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

/// The largest of `values` (0 for none), NaN if any is NaN.
pub fn max_of(values: impl IntoIterator<Item = f64>) -> f64 {
    values.into_iter().fold(0.0, nan_max)
}

/// The largest |a − b| over two series of equal length, NaN if either holds a NaN. Panics,
/// naming `what`, if the lengths differ.
pub fn max_abs_diff(what: &str, a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "{what}: the series differ in length");
    max_of(a.iter().zip(b).map(|(x, y)| (x - y).abs()))
}

/// Whether an error `e` fails the check `e <= tol`: a NaN does (a plain `e > tol` lets it pass).
pub fn exceeds(e: f64, tol: f64) -> bool {
    e.is_nan() || e > tol
}

/// `a` and `b` zipped, after checking (naming `what`) that they are equally long.
pub fn zip_equal<'a, A, B>(
    what: &str,
    a: &'a [A],
    b: &'a [B],
) -> impl Iterator<Item = (&'a A, &'a B)> {
    assert_eq!(a.len(), b.len(), "{what}: the series differ in length");
    a.iter().zip(b)
}

/// A CSV file of numbers with a header line: the header's names and one column per name.
pub fn csv_columns(path: &str) -> (Vec<String>, Vec<Vec<f64>>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    let mut cols = vec![Vec::new(); header.len()];
    for line in lines.filter(|l| !l.is_empty()) {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(fields.len(), header.len(), "{path}: {line}");
        for (col, f) in cols.iter_mut().zip(fields) {
            col.push(f.parse().unwrap_or_else(|e| panic!("{path}: {f}: {e}")));
        }
    }
    (header, cols)
}

#[test]
fn a_nan_makes_the_maximum_nan() {
    assert_eq!(max_of([1.0, 3.0, 2.0]), 3.0);
    assert!(max_of([1.0, f64::NAN, 2.0]).is_nan());
    assert!(max_of([f64::NAN, 1.0]).is_nan());
    // The fold it replaces passes a NaN over.
    assert_eq!([1.0, f64::NAN, 2.0].into_iter().fold(0.0, f64::max), 2.0);
    let d = max_abs_diff("v", &[0.0, 1.0], &[0.0, f64::NAN]);
    assert!(exceeds(d, 1e-9), "a NaN must fail a tolerance check");
    assert!(!exceeds(1e-10, 1e-9) && exceeds(2e-9, 1e-9));
}

#[test]
#[should_panic(expected = "differ in length")]
fn unequal_lengths_are_refused() {
    max_abs_diff("v", &[0.0, 1.0], &[0.0]);
}
