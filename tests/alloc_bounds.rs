//! What decoding allocates, measured by a counting allocator: `RowSet::decode` never reserves
//! more than a small multiple of its input, however its counts are corrupted (ARCHITECTURE.md's
//! invariant; the fuzzer found 7 bytes that reserved 320 KB and 11 that built 240 MB).
#![cfg(not(target_arch = "wasm32"))]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use cmk_playground::engine::table::{ColumnType, RowSet, Schema, Value};

/// Counts the bytes this thread has allocated (the test harness runs each test on its own thread).
struct Counting;

thread_local! {
    static ALLOCATED: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATED.try_with(|a| a.set(a.get() + layout.size()));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let grown = new_size.saturating_sub(layout.size());
        let _ = ALLOCATED.try_with(|a| a.set(a.get() + grown));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// Bytes allocated while decoding `bytes`.
fn allocated_by_decode(bytes: &[u8]) -> usize {
    let before = ALLOCATED.with(Cell::get);
    let _ = std::hint::black_box(RowSet::decode(std::hint::black_box(bytes)));
    ALLOCATED.with(Cell::get) - before
}

/// A value takes 32 bytes in memory for each byte (a null cell) of input, plus a row's vector.
const PER_INPUT_BYTE: usize = 64;

#[test]
fn corrupt_counts_reserve_no_more_than_the_input_describes() {
    for bytes in [
        // ncols = 10,023 in 7 bytes
        &[0x43, 0x4d, 0x4b, 0x52, 1, 0x27, 0x27][..],
        // no columns, ten million rows
        &[0x43, 0x4d, 0x4b, 0x52, 1, 0, 0, 0x80, 0x96, 0x98, 0],
        // no columns, u32::MAX rows
        &[0x43, 0x4d, 0x4b, 0x52, 1, 0, 0, 0xff, 0xff, 0xff, 0xff],
        // one bool column, u32::MAX rows
        &[
            0x43, 0x4d, 0x4b, 0x52, 1, 1, 0, 1, 0, b'a', 1, 0xff, 0xff, 0xff, 0xff,
        ],
    ] {
        let n = allocated_by_decode(bytes);
        assert!(
            n <= PER_INPUT_BYTE * bytes.len() + 256,
            "{} input bytes allocated {n} bytes",
            bytes.len()
        );
    }
}

#[test]
fn a_real_row_set_decodes_within_the_same_bound() {
    let rows = RowSet {
        schema: Schema {
            columns: vec![
                ("Computer".into(), ColumnType::String),
                ("Level".into(), ColumnType::Long),
                ("Ok".into(), ColumnType::Bool),
            ],
        },
        rows: (0..1_000)
            .map(|i| {
                vec![
                    Value::String(format!("vm-{i:03}")),
                    Value::Long(i),
                    Value::Null,
                ]
            })
            .collect(),
    };
    let bytes = rows.encode().unwrap();
    let n = allocated_by_decode(&bytes);
    assert!(
        n <= PER_INPUT_BYTE * bytes.len(),
        "{} input bytes allocated {n}",
        bytes.len()
    );
}
