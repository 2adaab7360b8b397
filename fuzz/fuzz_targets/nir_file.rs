#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: engram_fuzz::limit_memory(),
    |data: &[u8]| engram_fuzz::nir_file(data)
);
