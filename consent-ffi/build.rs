//! Gives the shared library its SONAME (STYLE.md rule 26), derived from the crate version:
//! before 1.0 every release is its own ABI, so the SONAME carries the full version
//! (`libconsent.so.0.2.0`); from 1.0 on it carries the major version (`libconsent.so.1`).
//!
//! Only ELF targets take `-soname`; elsewhere the library keeps the linker's default name.
//! The script writes no file.

/// The ABI version the SONAME carries (the header's `CONSENT_ABI_VERSION` says the same, and
/// `consent-ffi/tests/header.rs` checks both against this rule).
fn abi_version() -> String {
    let major = env!("CARGO_PKG_VERSION_MAJOR");
    if major == "0" {
        env!("CARGO_PKG_VERSION").to_owned()
    } else {
        major.to_owned()
    }
}

/// Targets whose linker writes ELF shared objects and understands `-soname`.
const ELF_OSES: [&str; 7] = [
    "linux",
    "android",
    "freebsd",
    "netbsd",
    "openbsd",
    "dragonfly",
    "illumos",
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = match std::env::var("CARGO_CFG_TARGET_OS") {
        Ok(os) => os,
        Err(error) => {
            eprintln!("consent-ffi build script: CARGO_CFG_TARGET_OS is not set ({error})");
            std::process::exit(1);
        }
    };
    if ELF_OSES.contains(&os.as_str()) {
        println!(
            "cargo:rustc-cdylib-link-arg=-Wl,-soname,libconsent.so.{}",
            abi_version()
        );
    }
}
