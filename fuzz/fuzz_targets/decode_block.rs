#![no_main]

// Counts what decoding allocates, so the harness can hold it to the size of its input.
#[global_allocator]
static ALLOC: cmk_playground::fuzzing::TrackingAlloc = cmk_playground::fuzzing::TrackingAlloc;

libfuzzer_sys::fuzz_target!(|data: &[u8]| cmk_playground::fuzzing::decode_block(data));
