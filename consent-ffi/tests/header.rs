//! The committed `include/consent.h` matches what cbindgen generates from this crate, and its
//! version macros match the crate version.
#![expect(
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers: failing loudly with a message is their job"
)]

use std::path::PathBuf;

const FIX: &str = "CONSENT_BLESS=1 cargo test -p consent-ffi --test header";

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn header_path() -> PathBuf {
    crate_dir().join("../include/consent.h")
}

fn generate() -> String {
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

#[test]
fn header_matches_the_code() {
    let generated = generate();
    let path = header_path();
    if std::env::var_os("CONSENT_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        let first = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(committed.lines().count().min(generated.lines().count()));
        panic!(
            "include/consent.h is out of date (first difference at line {}).\nFix it with:\n    {FIX}\nand commit the result.",
            first + 1
        );
    }
}

fn macro_value(header: &str, name: &str) -> String {
    let prefix = format!("#define {name} ");
    header
        .lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("include/consent.h lacks {name}"))
        .trim()
        .to_owned()
}

#[test]
fn version_macros_match_the_crate_version() {
    let header = std::fs::read_to_string(header_path()).expect("include/consent.h");
    let version = env!("CARGO_PKG_VERSION");
    let major: u32 = env!("CARGO_PKG_VERSION_MAJOR").parse().unwrap();
    let minor: u32 = env!("CARGO_PKG_VERSION_MINOR").parse().unwrap();
    let patch: u32 = env!("CARGO_PKG_VERSION_PATCH").parse().unwrap();
    // STYLE.md rule 26, as consent-ffi/build.rs applies it to the SONAME.
    let abi = if major == 0 {
        version.to_owned()
    } else {
        major.to_string()
    };
    let expected = [
        ("CONSENT_VERSION", format!("\"{version}\"")),
        ("CONSENT_ABI_VERSION", format!("\"{abi}\"")),
        ("CONSENT_VERSION_MAJOR", major.to_string()),
        ("CONSENT_VERSION_MINOR", minor.to_string()),
        ("CONSENT_VERSION_PATCH", patch.to_string()),
        (
            "CONSENT_VERSION_NUMBER",
            format!("0x{:02x}{:02x}{:02x}", major, minor, patch),
        ),
    ];
    let wrong: Vec<String> = expected
        .iter()
        .filter(|(name, value)| &macro_value(&header, name) != value)
        .map(|(name, value)| format!("#define {name} {value}"))
        .collect();
    assert!(
        wrong.is_empty(),
        "the version macros differ from CARGO_PKG_VERSION {version}.\nFix `after_includes` in consent-ffi/cbindgen.toml to read:\n    {}\nthen run:\n    {FIX}",
        wrong.join("\n    ")
    );
    assert_eq!(
        consent::version_string(),
        format!("consent-ffi {version} (consent-core {version})")
    );
}
