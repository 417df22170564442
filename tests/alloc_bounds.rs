//! What decoding allocates, measured by a counting allocator: `Column::decode` (a block's column
//! chunk) never reserves more than a small multiple of its input, however its counts are
//! corrupted (ARCHITECTURE.md's invariant; the fuzzer once found 7 bytes of the earlier row
//! layout that reserved 320 KB and 11 that built 240 MB).
#![cfg(not(target_arch = "wasm32"))]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use cmk_playground::engine::columnar::Column;
use cmk_playground::engine::table::{ColumnType, Value};

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
    let _ = std::hint::black_box(Column::decode(std::hint::black_box(bytes)));
    ALLOCATED.with(Cell::get) - before
}

/// A dictionary entry's `String` takes 24 bytes for its 4-byte length, plus its text.
const PER_INPUT_BYTE: usize = 16;

/// A chunk's first bytes: encoding, type, row count.
fn head(encoding: u8, ty: u8, rows: u32) -> Vec<u8> {
    let mut b = vec![encoding, ty];
    b.extend_from_slice(&rows.to_le_bytes());
    b
}

#[test]
fn corrupt_counts_reserve_no_more_than_the_input_describes() {
    let dictionary = {
        // 65,535 dictionary entries announced in 8 bytes
        let mut b = head(2, 8, 1);
        b.extend_from_slice(&[0xff, 0xff]);
        b
    };
    for bytes in [
        // u32::MAX longs, bools, texts
        head(1, 6, u32::MAX),
        head(1, 1, u32::MAX),
        head(3, 8, u32::MAX),
        // ten million rows
        head(1, 2, 10_000_000),
        dictionary,
    ] {
        let n = allocated_by_decode(&bytes);
        assert!(
            n <= PER_INPUT_BYTE * bytes.len() + 256,
            "{} input bytes allocated {n} bytes",
            bytes.len()
        );
    }
}

#[test]
fn real_chunks_decode_within_the_same_bound() {
    let rows: Vec<Vec<Value>> = (0..1_000)
        .map(|i| {
            vec![
                Value::String(format!("vm-{:03}", i % 40)),
                Value::String(format!("free text {i}")),
                Value::Long(i),
                Value::Null,
            ]
        })
        .collect();
    let types = [
        ColumnType::String,
        ColumnType::String,
        ColumnType::Long,
        ColumnType::Bool,
    ];
    for (c, ty) in types.into_iter().enumerate() {
        let (_, bytes) = Column::encode(&rows, c, ty).unwrap();
        let n = allocated_by_decode(&bytes);
        assert!(
            n <= PER_INPUT_BYTE * bytes.len(),
            "column {c}: {} input bytes allocated {n}",
            bytes.len()
        );
    }
}
