//! Router-table compression on a few Mundy HPSR-2016 gaussian tables.
use criterion::{criterion_group, criterion_main, Criterion};
use hw_export::compress::{compress, pair_compress, pair_plus, remove_default_routes, PairOptions};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let path = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/reference"))
        .join("mundy_hpsr2016_gaussian_12_12_xyp.bin.gz");
    let mut tables = hw_export::load_tables(&path).expect("Mundy reference tables");
    tables.sort_by_key(|t| std::cmp::Reverse(t.len()));
    tables.truncate(4);
    let mut g = c.benchmark_group("router_compression");
    g.sample_size(10);
    for t in &tables {
        let id = format!("{}_{}_n{}", t.x, t.y, t.len());
        g.bench_function(format!("rdr/{id}"), |b| {
            b.iter(|| remove_default_routes(black_box(t)))
        });
        g.bench_function(format!("pair/{id}"), |b| {
            b.iter(|| pair_compress(black_box(t), &PairOptions::pacman()))
        });
        g.bench_function(format!("pair_plus/{id}"), |b| {
            b.iter(|| pair_plus(black_box(t)))
        });
        g.bench_function(format!("compress_checked/{id}"), |b| {
            b.iter(|| compress(black_box(t), 1023))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
