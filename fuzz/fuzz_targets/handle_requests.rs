#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cmk_playground::fuzzing::handle_requests(data));
