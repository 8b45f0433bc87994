//! The rooms of consent-core depend one way (ARCHITECTURE.md): a file may name only its own
//! room and the rooms below it, whether directly (`crate::ledger::…`) or through a name the
//! crate root re-exports from a higher room (`crate::Ledger`). `store/` knows only the log's
//! record types, and `policy/` is pure (no I/O, no locks, no clock).

#![expect(
    clippy::unwrap_used,
    reason = "helpers of a test fail the test on an unreadable source file"
)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The rooms, lowest first, after the root's utility modules, which are below every room.
const UTILITIES: [&str; 5] = ["error", "hex", "redact", "small", "time"];
const ROOMS: [&str; 8] = [
    "id",
    "catalogue",
    "model",
    "log",
    "policy",
    "store",
    "projection",
    "ledger",
];

fn rank(room: &str) -> Option<usize> {
    // The utility modules share the lowest rank: they may name each other.
    if UTILITIES.contains(&room) {
        return Some(0);
    }
    ROOMS.iter().position(|r| *r == room).map(|p| p + 1)
}

/// The room a source file belongs to (`src/policy/decide.rs` → `policy`, `src/time.rs` →
/// `time`), or `None` for the crate root.
fn room_of(path: &Path, src: &Path) -> Option<String> {
    let relative = path.strip_prefix(src).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    let room = first.strip_suffix(".rs").unwrap_or(first);
    (room != "lib").then(|| room.to_owned())
}

/// Every `crate::` path in `text`, expanded through `{…}` groups, as its segments.
fn crate_paths(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().last();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // `consent_crate::` or similar, not a path of this crate
        }
        expand(rest, Vec::new(), &mut out);
    }
    out
}

/// Reads one path (segments, then possibly a `{…}` group of paths) from the start of `text`.
fn expand(text: &str, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    let mut segments = prefix;
    let mut rest = text.trim_start();
    if let Some(group) = rest.strip_prefix('{') {
        for item in split_group(group) {
            expand(&item, segments.clone(), out);
        }
        return;
    }
    loop {
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if end > 0 {
            segments.push(rest[..end].to_owned());
            rest = &rest[end..];
        }
        if let Some(after) = rest.strip_prefix("::") {
            rest = after.trim_start();
            if let Some(group) = rest.strip_prefix('{') {
                for item in split_group(group) {
                    expand(&item, segments.clone(), out);
                }
                return;
            }
            continue;
        }
        break;
    }
    if !segments.is_empty() {
        out.push(segments);
    }
}

/// The top-level items of a `{…}` group whose opening brace has been consumed.
fn split_group(text: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut depth = 0;
    let mut current = String::new();
    for c in text.chars() {
        match c {
            '{' => {
                depth += 1;
                current.push(c);
            }
            '}' if depth == 0 => break,
            '}' => {
                depth -= 1;
                current.push(c);
            }
            ',' if depth == 0 => items.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    items.push(current);
    items.into_iter().filter(|i| !i.trim().is_empty()).collect()
}

/// The room each name the crate root re-exports comes from, read from `lib.rs`
/// (`pub use ledger::{Ledger, …}` → `Ledger` is the ledger's; the `storage` module's
/// re-exports count too).
fn root_exports(lib: &str) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for statement in lib.split(';') {
        let Some(at) = statement.find("pub use ") else {
            continue;
        };
        let path = statement[at + "pub use ".len()..].trim();
        let path = path.strip_prefix("crate::").unwrap_or(path);
        let mut paths = Vec::new();
        expand(path, Vec::new(), &mut paths);
        for segments in paths {
            if let (Some(room), Some(name)) = (segments.first(), segments.last())
                && rank(room).is_some()
            {
                let name = name.split_whitespace().last().unwrap_or(name).to_owned();
                map.insert(name, room.clone());
            }
        }
    }
    map
}

/// The room a `crate::` path reaches, if it reaches a room at all.
fn target(segments: &[String], exports: &HashMap<String, String>) -> Option<String> {
    let first = segments.first()?;
    if rank(first).is_some() {
        return Some(first.clone());
    }
    // `crate::storage::EventRecord` and `crate::Ledger`: look the item up.
    let item = if first == "storage" {
        segments.get(1)?
    } else {
        first
    };
    exports.get(item).cloned()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without its `#[cfg(test)]` tail and its comments (tests may reach
/// anywhere, and prose may mention anything).
fn production_code(text: &str) -> String {
    let code = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    code.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every violation of the layer rules in one file's production code.
fn violations(room: &str, code: &str, exports: &HashMap<String, String>) -> Vec<String> {
    let mut found = Vec::new();
    let Some(own) = rank(room) else {
        return found;
    };
    // Files sit at most one folder deep, so `super::super::` is the crate root.
    let code = code.replace("super::super::", "crate::");
    for segments in crate_paths(&code) {
        let Some(reached) = target(&segments, exports) else {
            continue;
        };
        let Some(theirs) = rank(&reached) else {
            continue;
        };
        let path = segments.join("::");
        if theirs > own {
            found.push(format!(
                "names `crate::{path}` of the higher room `{reached}`"
            ));
        }
        if room == "store"
            && reached != "store"
            && !UTILITIES.contains(&reached.as_str())
            && (reached != "log" || segments.get(1).is_none_or(|s| s != "record"))
            && segments.first().is_none_or(|s| s != "storage")
        {
            found.push(format!(
                "names `crate::{path}`; a store knows only `log::record`"
            ));
        }
    }
    if room == "policy" {
        for impure in [
            "std::sync",
            "std::fs",
            "std::io",
            "std::net",
            "std::thread",
            "rusqlite",
            "Utc::now",
            "SystemTime",
            "Instant::now",
        ] {
            if code.contains(impure) {
                found.push(format!("uses `{impure}`; policy is pure"));
            }
        }
    }
    found
}

#[test]
fn every_room_names_only_itself_and_the_rooms_below() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let exports = root_exports(&std::fs::read_to_string(src.join("lib.rs")).unwrap());
    assert!(
        exports.get("Ledger").is_some_and(|r| r == "ledger"),
        "the re-exports of lib.rs were not understood: {exports:?}"
    );
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut problems = Vec::new();
    for file in files {
        let Some(room) = room_of(&file, &src) else {
            continue;
        };
        let code = production_code(&std::fs::read_to_string(&file).unwrap());
        for problem in violations(&room, &code, &exports) {
            problems.push(format!("{}: {problem}", file.display()));
        }
    }
    assert!(
        problems.is_empty(),
        "layer rules broken:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_scan_sees_direct_and_re_exported_reach_upwards() {
    let exports = root_exports(
        "pub use ledger::{Ledger, LedgerOptions};\npub use model::party::Actor;\npub mod storage {\n    pub use crate::log::record::{EventRecord, Head};\n    pub use crate::ledger::STORAGE_SCHEMA;\n}",
    );
    let bad =
        |room: &str, code: &str| !violations(room, &production_code(code), &exports).is_empty();
    assert!(bad("projection", "use crate::ledger::commit::Pending;"));
    assert!(bad("policy", "use crate::{Actor, Ledger};"));
    assert!(bad("log", "fn f(l: &crate::LedgerOptions) {}"));
    assert!(bad("store", "use crate::storage::STORAGE_SCHEMA;"));
    assert!(bad("store", "use crate::log::event::EventPayload;"));
    assert!(bad("policy", "use std::sync::Mutex;"));
    assert!(bad("catalogue", "use crate::model::party::Actor;"));
    assert!(bad("projection", "use super::super::ledger::Ledger;"));
    assert!(!bad(
        "store",
        "use crate::log::record::{EventRecord, Head};"
    ));
    assert!(!bad(
        "projection",
        "use crate::{Actor, log::seal::DataKey};"
    ));
    assert!(!bad("ledger", "use crate::ledger::x; use crate::Ledger;"));
    assert!(!bad("model", "// crate::ledger in a comment"));
}

/// Every public method of `Ledger` shows how it is called, in a doctest that runs.
#[test]
fn every_public_ledger_method_has_an_example() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ledger");
    let mut files = Vec::new();
    rust_files(&dir, &mut files);
    let mut missing = Vec::new();
    let mut seen = 0;
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut doc: Vec<&str> = Vec::new();
        let mut in_ledger = false;
        for line in text.lines() {
            if line.starts_with("impl Ledger {") {
                in_ledger = true;
            } else if line.starts_with('}') {
                in_ledger = false;
            }
            let trimmed = line.trim_start();
            if trimmed.starts_with("///") || trimmed.starts_with("#[") {
                doc.push(trimmed);
                continue;
            }
            if in_ledger && line.starts_with("    pub fn ") {
                seen += 1;
                let hidden = doc.iter().any(|l| l.starts_with("#[doc(hidden)]"));
                if !hidden && !doc.iter().any(|l| l.contains("```")) {
                    let name = trimmed.split(['(', '<']).next().unwrap_or(trimmed);
                    missing.push(format!("{}: {name}", file.display()));
                }
            }
            doc.clear();
        }
    }
    assert!(seen > 20, "found only {seen} public methods of Ledger");
    assert!(
        missing.is_empty(),
        "without an example:\n{}",
        missing.join("\n")
    );
}
