//! Keeps the crate's unsafe code in `src/sys.rs`, each block with a `// SAFETY:` comment above
//! it (the way consent-ffi keeps its pointer work in `boundary.rs`). Reads the sources from disk,
//! so a new module is checked too.
#![expect(
    clippy::expect_used,
    reason = "test helpers fail the test on bad fixtures"
)]

use std::path::Path;

/// Source files of the crate, read from disk so a new module is checked too.
fn sources() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("read src")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "rs"))
        .map(|path| {
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            (name, std::fs::read_to_string(&path).expect("read source"))
        })
        .collect();
    files.sort();
    files
}

#[test]
fn unsafe_code_lives_only_in_sys_rs() {
    let files = sources();
    assert!(files.iter().any(|(name, _)| name == "sys.rs"));
    assert!(files.len() >= 5, "lib, error, fork, head, sys: {files:?}");
    for (name, source) in &files {
        if name == "sys.rs" {
            continue;
        }
        for needle in [" {", " fn", " impl", " extern", "_code"] {
            let needle = format!("unsafe{needle}");
            let code_lines = source
                .lines()
                .filter(|line| !line.trim_start().starts_with("//"))
                .filter(|line| line.contains(&needle))
                .count();
            assert_eq!(
                code_lines, 0,
                "{name} uses `{needle}`: move the unsafe work into sys.rs"
            );
        }
    }
}

#[test]
fn every_unsafe_block_has_a_safety_comment() {
    let files = sources();
    let (_, sys) = files
        .iter()
        .find(|(name, _)| name == "sys.rs")
        .expect("sys.rs");
    let lines: Vec<&str> = sys.lines().collect();
    let mut blocks = 0;
    for (index, line) in lines.iter().enumerate() {
        if line.trim_start().starts_with("//") || !line.contains("unsafe {") {
            continue;
        }
        blocks += 1;
        let comment_above = lines[..index]
            .iter()
            .rev()
            .take_while(|l| l.trim_start().starts_with("//"))
            .any(|l| l.trim_start().starts_with("// SAFETY:"));
        assert!(
            comment_above,
            "sys.rs line {}: an unsafe block without a `// SAFETY:` comment above it",
            index + 1
        );
    }
    assert_eq!(blocks, 2, "the mapped word and pthread_atfork");
}
