//! The error catalogue against the test suite: every entry must be produced by at least one test,
//! which names it (`&errors::NAME`, as the argument of `refused`, `assert_spec` or `assert_seed`),
//! and every message quoted from the seed must be asserted word for word.
#![cfg(not(target_arch = "wasm32"))]

use crate::common;
use std::path::{Path, PathBuf};

use cmk_playground::engine::errors::{CATALOGUE, Source};
use common::{seed, template_literals, template_matches};

/// `(file name, text without comment lines)` of every test file except this one: the separate
/// test binaries in `tests/` and the modules of this one in `tests/scenarios/`.
fn test_sources() -> Vec<(String, String)> {
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut files: Vec<PathBuf> = [tests.clone(), tests.join("scenarios")]
        .iter()
        .flat_map(|dir| std::fs::read_dir(dir).expect("tests directory"))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .filter(|p| p.file_name().is_some_and(|n| n != "catalogue.rs"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("readable test file");
            let code: String = text
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            (p.file_name().unwrap().to_string_lossy().into_owned(), code)
        })
        .collect()
}

/// Whether `text` (whitespace removed) passes `&errors::{name}` to one of the asserting helpers:
/// `refused(&errors::NAME, ..)`, `assert_spec(&r, &errors::NAME)` or
/// `assert_seed(&r, &errors::NAME, ..)`.
fn asserts(text: &str, name: &str) -> bool {
    let needle = format!("&errors::{name}");
    text.match_indices(&needle).any(|(i, _)| {
        let whole_name = !text[i + needle.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        let before = &text[..i];
        let in_helper = before.ends_with("refused(")
            || before.rfind("assert_s").is_some_and(|j| {
                let call = &before[j..];
                (call.starts_with("assert_spec(&") || call.starts_with("assert_seed(&"))
                    && call.len() > 14
                    && call.ends_with(',')
                    && call[13..call.len() - 1]
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_')
            });
        whole_name && in_helper
    })
}

fn squeeze(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn every_catalogue_entry_is_produced_by_a_test_that_names_it() {
    let sources = test_sources();
    assert!(
        sources.len() >= 5,
        "expected the rule test files, found {}",
        sources.len()
    );
    let squeezed: Vec<String> = sources.iter().map(|(_, t)| squeeze(t)).collect();
    let missing: Vec<&str> = CATALOGUE
        .iter()
        .map(|e| e.name)
        .filter(|name| !squeezed.iter().any(|text| asserts(text, name)))
        .collect();
    assert!(
        missing.is_empty(),
        "catalogue entries no test produces: {missing:?}"
    );
}

#[test]
fn every_seed_message_is_asserted_word_for_word() {
    let sources = test_sources();
    let squeezed: Vec<String> = sources.iter().map(|(_, t)| squeeze(t)).collect();
    let mut missing = Vec::new();
    for e in CATALOGUE
        .iter()
        .filter(|e| matches!(e.source, Source::AzureMonitorSeed))
    {
        if template_literals(e.message.get()).len() > 1 {
            // A message with a placeholder (the region of the double-encryption error): its fixed
            // part must be one of the seed texts, and a test must name both.
            let fixed = template_literals(e.message.get()).concat();
            assert!(
                seed::ALL.contains(&fixed.as_str()),
                "{}: fixed part not among the seed texts",
                e.name
            );
            continue;
        }
        assert!(
            seed::ALL.contains(&e.message.get()),
            "{}: message is not the seed's text: {}",
            e.name,
            e.message
        );
        let call = format!("&errors::{},seed::", e.name);
        if !squeezed.iter().any(|t| t.contains(&call)) {
            missing.push(e.name);
        }
    }
    assert!(
        missing.is_empty(),
        "seed messages never checked with assert_seed(.., seed::..): {missing:?}"
    );
}

#[test]
fn seed_texts_are_quoted_from_the_seed_document() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/seeds/azure-monitor-customer-managed-key.txt");
    let Ok(doc) = std::fs::read_to_string(&path) else {
        eprintln!(
            "seed document not found at {}; the copies in tests/common are used as they are",
            path.display()
        );
        return;
    };
    for text in seed::ALL {
        assert!(
            doc.contains(text),
            "not in the seed document, word for word: {text}"
        );
    }
}

#[test]
fn catalogue_names_match_their_constants_and_are_unique() {
    let mut seen = std::collections::BTreeSet::new();
    for e in CATALOGUE {
        assert!(seen.insert(e.name), "duplicate entry {}", e.name);
        assert!(
            (400..600).contains(&e.status),
            "{}: status {}",
            e.name,
            e.status
        );
        assert!(
            !e.code.is_empty() && !e.message.get().is_empty(),
            "{}",
            e.name
        );
    }
}

#[test]
fn coverage_counts_only_names_passed_to_an_asserting_helper() {
    assert!(asserts("env.refused(&errors::NO_SKU,|env|x)", "NO_SKU"));
    assert!(asserts("assert_spec(&r,&errors::NO_SKU);", "NO_SKU"));
    assert!(asserts(
        "assert_seed(&gone,&errors::NO_SKU,seed::NO_SKU);",
        "NO_SKU"
    ));
    assert!(!asserts("assert_spec(&r,&errors::NO_SKU_TIERS);", "NO_SKU"));
    assert!(!asserts("letspec=&errors::NO_SKU;", "NO_SKU"));
    assert!(!asserts("assert_eq!(x,&errors::NO_SKU);", "NO_SKU"));
}

#[test]
fn template_matching_treats_placeholders_as_wildcards_and_nothing_else() {
    let t = "The vault name '{name}' is already in use.";
    assert!(template_matches(
        t,
        "The vault name 'kv' is already in use."
    ));
    assert!(template_matches(t, "The vault name '' is already in use."));
    assert!(!template_matches(
        t,
        "The vault name 'kv' is already in use"
    ));
    assert!(!template_matches(t, "A vault name 'kv' is already in use."));
    let t = "Operation {operation} is not allowed on a disabled key.";
    assert!(template_matches(
        t,
        "Operation wrapKey is not allowed on a disabled key."
    ));
    assert!(!template_matches(
        t,
        "Operation wrapKey is not permitted on this key."
    ));
    let t = "{region} doesn’t support Double Encryption for clusters.";
    assert!(template_matches(
        t,
        "West Central US doesn’t support Double Encryption for clusters."
    ));
    assert!(!template_matches(
        t,
        "West Central US doesn't support Double Encryption for clusters."
    ));
    // Without placeholders, only the exact text matches.
    let t = "Workspace link or unlink operation in process.";
    assert!(template_matches(t, t));
    assert!(!template_matches(
        t,
        "Workspace link or unlink operation in process"
    ));
    // Braces that are not placeholders are literal.
    assert_eq!(template_literals("a {B} c"), vec!["a {B} c".to_string()]);
    assert_eq!(
        template_literals("{x} and {y_z}."),
        vec![String::new(), " and ".to_string(), ".".to_string()]
    );
}
