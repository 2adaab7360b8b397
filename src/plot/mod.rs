//! Figures of runs, each written as a PNG and an SVG beside it, in one style (`style.rs`):
//! spike rasters with population rates (`raster.rs`), curves with error bars (`lines.rs`: the
//! delayed-recall retention plot), the SpiNNaker board map and per-core load (`board.rs`), the
//! side-by-side benchmark report (`bench.rs`) and the CAM recall summary (`cam.rs`).
//!
//! The DejaVu Sans font is compiled in (`assets/fonts`), so figures work on machines without any
//! font installed.

pub mod bench;
pub mod board;
pub mod cam;
pub mod distributions;
pub mod lines;
pub mod raster;
pub mod style;

pub use lines::{recall_curve, RECALL_SIZE};
pub use raster::{raster, Marker, RasterPopulation, RASTER_SIZE};

#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct PlotError {
    pub path: String,
    pub message: String,
}

/// Test helpers: the size a PNG and an SVG state.
#[cfg(test)]
pub(crate) mod check {
    use std::path::Path;

    pub fn png_size(path: &Path) -> (u32, u32) {
        let b = std::fs::read(path).unwrap();
        assert_eq!(&b[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&b[12..16], b"IHDR");
        let word = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        (word(16), word(20))
    }

    pub fn svg_size(path: &Path) -> (u32, u32) {
        let s = std::fs::read_to_string(path).unwrap();
        let head = &s[s.find("<svg").unwrap()..];
        let attr = |name: &str| -> u32 {
            let at = head.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
            head[at..at + head[at..].find('"').unwrap()]
                .parse()
                .unwrap()
        };
        assert!(s.trim_end().ends_with("</svg>"));
        (attr("width"), attr("height"))
    }

    pub fn temp_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("engram-plot-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
