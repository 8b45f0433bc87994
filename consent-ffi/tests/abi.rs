//! The exported C ABI changes only with its version (STYLE.md rule 26).
//!
//! `consent-ffi/abi/<ABI version>.txt` lists what a program compiled against this ABI relies
//! on: every function's return and parameter types (parameter names are not ABI), every
//! result code's value, and the opaque handle types, as cbindgen generates them now. The list
//! of the current ABI version (`CONSENT_ABI_VERSION`: the full version before 1.0, the major
//! version after) must hold every entry it was committed with, unchanged: a changed or
//! removed function (or a result code whose value moved) needs a version bump, which starts a new list. An export added within
//! the same version is recorded by the bless command, which appends and never rewrites.
#![expect(
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers: failing loudly with a message is their job"
)]
#![expect(
    clippy::string_slice,
    reason = "header text is sliced at positions found in it, on ASCII punctuation"
)]

use std::collections::BTreeSet;
use std::path::PathBuf;

const BLESS: &str = "CONSENT_BLESS=1 cargo test -p consent-ffi --test abi";

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The ABI version by STYLE.md rule 26 (as build.rs sets the SONAME).
fn abi_version() -> String {
    let major = env!("CARGO_PKG_VERSION_MAJOR");
    if major == "0" {
        env!("CARGO_PKG_VERSION").to_owned()
    } else {
        major.to_owned()
    }
}

fn generate_header() -> String {
    let dir = crate_dir();
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_crate(&dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header");
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).expect("the header is UTF-8")
}

/// The header without comments, preprocessor lines and the C++ `extern "C"` wrapper.
fn code_of(header: &str) -> String {
    let mut out = String::new();
    let mut rest = header;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("/*") {
            rest = after.split_once("*/").map_or("", |(_, tail)| tail);
            out.push(' ');
        } else if let Some(after) = rest.strip_prefix("//") {
            rest = after.split_once('\n').map_or("", |(_, tail)| tail);
            out.push('\n');
        } else {
            let ch = rest.chars().next().expect("non-empty");
            out.push(ch);
            rest = &rest[ch.len_utf8()..];
        }
    }
    out.lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
        .replace("extern \"C\" {", " ")
}

fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A parameter's type: the declaration without its name.
fn parameter_type(parameter: &str) -> String {
    let parameter = squash(parameter);
    if parameter == "void" {
        return parameter;
    }
    let name_start = parameter
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    squash(&parameter[..name_start])
}

/// The ABI entries of a generated header, one line each, sorted.
fn entries(header: &str) -> BTreeSet<String> {
    let code = code_of(header);
    let mut out = BTreeSet::new();
    for statement in code.split(';').map(squash) {
        // The `}` closing C++'s `extern "C" {` stands alone before the end.
        let statement = statement.trim_start_matches('}').trim();
        if statement.is_empty() {
            continue;
        }
        if let Some(enum_def) = statement.strip_prefix("enum ")
            && let Some((head, body)) = enum_def.split_once('{')
        {
            let name = squash(head);
            let body = body.trim_end().trim_end_matches('}');
            for item in body.split(',').map(squash).filter(|i| !i.is_empty()) {
                out.insert(format!("enum {name} {{ {item} }}"));
            }
        } else if let Some(typedef) = statement.strip_prefix("typedef ") {
            out.insert(format!("type {}", squash(typedef)));
        } else if let Some((head, parameters)) = statement.split_once('(') {
            let parameters = parameters
                .strip_suffix(')')
                .expect("a prototype ends with `)`");
            let types: Vec<String> = parameters.split(',').map(parameter_type).collect();
            out.insert(format!("fn {}({})", squash(head), types.join(", ")));
        } else {
            panic!("an unexpected declaration in the header: `{statement}`");
        }
    }
    out
}

#[test]
fn exports_change_only_with_the_abi_version() {
    let version = abi_version();
    let path = crate_dir().join("abi").join(format!("{version}.txt"));
    let now = entries(&generate_header());
    let committed: BTreeSet<String> = std::fs::read_to_string(&path)
        .map(|text| {
            text.lines()
                .filter(|l| !l.is_empty() && !l.starts_with("//"))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let missing: Vec<&String> = committed.difference(&now).collect();
    let added: Vec<&String> = now.difference(&committed).collect();
    assert!(
        missing.is_empty(),
        "the exports of ABI {version} changed: these entries of {} are gone or different:\n    {}\n\
         now generated:\n    {}\n\
         A program built against ABI {version} relies on them. Bump the version in the root \
         Cargo.toml (before 1.0 the minor version; STYLE.md rule 26), then record the new \
         ABI with:\n    {BLESS}",
        path.display(),
        missing
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n    "),
        added
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n    "),
    );
    if added.is_empty() {
        return;
    }
    if std::env::var_os("CONSENT_BLESS").is_some() {
        let mut text = format!(
            "// The C ABI {version} of libconsent: generated by `{BLESS}`.\n\
             // Entries are only ever added within one ABI version; see consent-ffi/tests/abi.rs.\n"
        );
        for entry in &now {
            text.push_str(entry);
            text.push('\n');
        }
        std::fs::create_dir_all(path.parent().expect("abi/")).expect("create abi/");
        std::fs::write(&path, text).expect("write the ABI list");
        return;
    }
    panic!(
        "{} lacks these exports of ABI {version}:\n    {}\nRecord them with:\n    {BLESS}\nand commit the file.",
        path.display(),
        added
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n    "),
    );
}

#[test]
fn the_parser_reads_prototypes_enums_and_handles() {
    let header = r#"
/* a comment with ( and ; inside */
#define CONSENT_X 1
enum consent_result
#if defined(__cplusplus)
  : uint32_t
#endif // defined(__cplusplus)
 {
  /** Success. */
  CONSENT_RESULT_OK = 0,
  CONSENT_RESULT_PANIC = 102,
};
typedef struct consent_ledger consent_ledger;
#ifdef __cplusplus
extern "C" {
#endif
consent_result consent_ledger_open(const char *path,
                                   const struct consent_ledger **ledger_out);
const char *consent_version(void);
#ifdef __cplusplus
}  // extern "C"
#endif
"#;
    let got: Vec<String> = entries(header).into_iter().collect();
    assert_eq!(
        got,
        [
            "enum consent_result : uint32_t { CONSENT_RESULT_OK = 0 }",
            "enum consent_result : uint32_t { CONSENT_RESULT_PANIC = 102 }",
            "fn consent_result consent_ledger_open(const char *, const struct consent_ledger **)",
            "fn const char *consent_version(void)",
            "type struct consent_ledger consent_ledger",
        ]
    );
}
