#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cmk_playground::fuzzing::collector_body(data));
