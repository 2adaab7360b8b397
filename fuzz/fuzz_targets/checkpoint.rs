#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| engram_fuzz::checkpoint(data));
