mod common;
use common::{hex, reference};
use hw_export::formats::bin::parse_bin;
use hw_export::formats::images::{fec_compressor_image, spinnman_load_image, FecSource};
use hw_export::formats::pacman_json::{parse_pacman_json, to_pacman_json_string};
use hw_export::{load_tables, HwError};

#[test]
fn binary_images_match_reference() {
    let tables = load_tables(reference("pacman_routing_tables_example.json")).unwrap();
    let text =
        std::fs::read_to_string(reference("pacman_routing_tables_example_binary.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let images = v["images"].as_object().unwrap();
    assert_eq!(images.len(), tables.len());
    for t in &tables {
        let img = &images[&format!("{},{}", t.x, t.y)];
        assert_eq!(
            hex(&spinnman_load_image(t)),
            img["spinnman_load_hex"].as_str().unwrap(),
            "spinnman ({},{})",
            t.x,
            t.y
        );
        assert_eq!(
            hex(&fec_compressor_image(t, 16, false, FecSource::LinkId)),
            img["fec_compressor_input_hex"].as_str().unwrap(),
            "fec ({},{})",
            t.x,
            t.y
        );
    }
}

#[test]
fn pacman_json_round_trips() {
    for name in [
        "pacman_routing_tables_example.json",
        "pacman_many_to_one.json.gz",
    ] {
        let a = load_tables(reference(name)).unwrap();
        assert!(!a.is_empty());
        let text = to_pacman_json_string(&a);
        let b = parse_pacman_json(text.as_bytes(), "roundtrip").unwrap();
        assert_eq!(a, b, "{name}");
        // and through a gzipped file
        let dir = std::env::temp_dir().join(format!("hw-export-rt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("t.json.gz");
        hw_export::save_tables(&p, &a).unwrap();
        assert_eq!(load_tables(&p).unwrap(), a);
        std::fs::remove_dir_all(&dir).ok();
    }
    let m2o = load_tables(reference("pacman_many_to_one.json.gz")).unwrap();
    assert_eq!(m2o.len(), 576);
    assert_eq!(m2o.iter().map(|t| t.len()).sum::<usize>(), 15_245);
    let ex = load_tables(reference("pacman_routing_tables_example.json")).unwrap();
    assert_eq!(ex.iter().map(|t| t.len()).sum::<usize>(), 118);
    assert_eq!(
        ex.iter()
            .flat_map(|t| &t.entries)
            .filter(|e| e.defaultable)
            .count(),
        24
    );
}

#[test]
fn pacman_json_writer_matches_pacman_layout() {
    let text = std::fs::read_to_string(reference("pacman_routing_tables_example.json")).unwrap();
    let t = parse_pacman_json(text.as_bytes(), "x").unwrap();
    assert_eq!(to_pacman_json_string(&t).trim_end(), text.trim_end());
}

#[test]
fn mundy_bin_reads_and_derives_defaultable() {
    let t = load_tables(reference("mundy_hpsr2016_gaussian_12_12_xyp.bin.gz")).unwrap();
    assert_eq!(t.len(), 144);
    assert_eq!(t.iter().map(|t| t.len()).sum::<usize>(), 155_918);
    // remove-default-routes reproduces the paper's per-table counts
    let (h, rows) = common::csv("mundy_hpsr2016_xyp_table_sizes.csv");
    let col = h.iter().position(|c| c == "remove_default").unwrap();
    let mut n = 0;
    for r in rows.iter().filter(|r| r[0] == "gaussian") {
        let (x, y): (u32, u32) = (r[1].parse().unwrap(), r[2].parse().unwrap());
        let tab = t.iter().find(|t| t.x == x && t.y == y).unwrap();
        let rdr = hw_export::compress::remove_default_routes(tab);
        assert_eq!(rdr.len(), r[col].parse::<usize>().unwrap(), "({x},{y})");
        n += 1;
    }
    assert_eq!(n, 144);
}

#[test]
fn malformed_inputs_are_rejected_with_location() {
    let e = parse_pacman_json(br#"[{"x":0,"y":0,"entries":[{"key":3,"mask":1,"defaultable":false,"spinnaker_route":1}]}]"#, "f.json").unwrap_err();
    assert!(matches!(e, HwError::Entry { entry: 0, .. }), "{e}");
    assert!(e.to_string().contains("f.json"));
    let e = parse_pacman_json(br#"[{"x":0,"y":0,"entries":[{"key":0,"mask":0,"defaultable":false,"spinnaker_route":16777216}]}]"#, "f.json").unwrap_err();
    assert!(e.to_string().contains("16777215"), "{e}");
    let e = parse_pacman_json(br#"[{"x":0,"y":0,"extra":1,"entries":[]}]"#, "f.json").unwrap_err();
    assert!(matches!(e, HwError::Json { .. }), "{e}");
    let e = parse_pacman_json(br#"[{"x":0,"y":0,"entries":[{"key":0,"mask":0,"defaultable":false,"spinnaker_route":1},{"key":0,"mask":0,"defaultable":false,"spinnaker_route":2}]}]"#, "f.json").unwrap_err();
    assert!(matches!(e, HwError::Entry { entry: 1, .. }), "{e}");
    // truncated .bin: header promises 2 entries, only one present
    let mut b = vec![1u8, 2, 2, 0];
    b.extend_from_slice(&[0u8; 16]);
    let e = parse_bin(&b, "t.bin").unwrap_err();
    assert!(matches!(e, HwError::Format { offset: 4, .. }), "{e}");
    let e = parse_bin(&[1, 2], "t.bin").unwrap_err();
    assert!(matches!(e, HwError::Format { offset: 0, .. }), "{e}");
    assert!(matches!(
        load_tables("foo.txt").unwrap_err(),
        HwError::UnknownFormat { .. }
    ));
    assert!(matches!(
        load_tables("/nonexistent/x.json").unwrap_err(),
        HwError::Io { .. }
    ));
}
