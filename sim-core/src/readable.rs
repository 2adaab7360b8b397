//! Numbers as messages show them: the shortest text that reads back as the same `f64`, in
//! scientific notation where plain decimals would be long (|x| >= 1e16 or 0 < |x| < 1e-5), so
//! that `duration = 1e300` is echoed as `1e300`, not as 301 digits.

use std::fmt;

/// Displays an `f64` readably (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Readable(pub f64);

impl fmt::Display for Readable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let x = self.0;
        let magnitude = x.abs();
        if x.is_finite() && x != 0.0 && !(1e-5..1e16).contains(&magnitude) {
            write!(f, "{x:e}")
        } else {
            write!(f, "{x}")
        }
    }
}

/// `text` with a number in it shown readably: a text that is a plain decimal number (as
/// `Display` writes an `f64` or an integer) is rewritten by [`Readable`] when that is shorter;
/// any other text is returned as it is. Integers that `f64` cannot hold exactly stay as written.
pub fn readable_text(text: String) -> String {
    let plain = !text.is_empty()
        && text
            .trim_start_matches('-')
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.');
    match text.parse::<f64>() {
        Ok(x) if plain && x.to_string() == text => {
            let short = Readable(x).to_string();
            if short.len() < text.len() {
                short
            } else {
                text
            }
        }
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extremes_are_scientific_and_round_trip() {
        for (x, shown) in [
            (1e300, "1e300"),
            (-1e-300, "-1e-300"),
            (1.5e16, "1.5e16"),
            (2.5e-6, "2.5e-6"),
            (0.1, "0.1"),
            (1000.0, "1000"),
            (0.0, "0"),
            (f64::INFINITY, "inf"),
        ] {
            assert_eq!(Readable(x).to_string(), shown);
            if x.is_finite() {
                assert_eq!(shown.parse::<f64>().unwrap(), x);
            }
        }
    }

    #[test]
    fn texts_of_long_numbers_are_shortened() {
        assert_eq!(readable_text(1e300.to_string()), "1e300");
        assert_eq!(readable_text((-1e-300).to_string()), "-1e-300");
        assert_eq!(readable_text("0.25".into()), "0.25");
        assert_eq!(readable_text("f32".into()), "f32");
        assert_eq!(readable_text("[1, 2]".into()), "[1, 2]");
        // An integer beyond f64's exact range stays as written.
        assert_eq!(readable_text(u64::MAX.to_string()), u64::MAX.to_string());
    }
}
