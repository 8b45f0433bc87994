//! `consent completions` and `consent man`: each script parses in its shell, completes what a
//! user types (commands, nested commands, a command's own options, an option's fixed values),
//! and the manual page renders without a warning from groff. The shells and groff are
//! installed by the README's test command, which sets `CONSENT_REQUIRE_TOOLS=1`; plain
//! `cargo test` skips a check whose program is missing, with a notice.

#![expect(
    clippy::unwrap_used,
    reason = "helpers of a test fail the test on a bad fixture"
)]

use std::path::Path;
use std::process::{Command, Stdio};

fn consent(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_consent"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Whether `program` can run here; a missing one fails the test when the test command asked
/// for every check.
fn have(program: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var_os("CONSENT_REQUIRE_TOOLS").is_none(),
            "{program} is missing, and CONSENT_REQUIRE_TOOLS is set"
        );
        println!("notice: {program} is not installed; its check is skipped");
    }
    found
}

fn run(program: &str, args: &[&str]) -> String {
    let output = Command::new(program).args(args).output().unwrap();
    assert!(
        output.status.success(),
        "{program} {args:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn script(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

/// The bash completions of a command line typed so far (the last word is being completed).
fn bash_complete(file: &str, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        "source {file}; COMP_WORDS=({}); COMP_CWORD={}; _consent; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        quoted.join(" "),
        words.len() - 1
    );
    run("bash", &["-c", &program])
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_completes_commands_options_and_values() {
    if !have("bash") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = script(
        dir.path(),
        "consent.bash",
        &consent(&["completions", "bash"]),
    );
    run("bash", &["-n", &file]);
    let top = bash_complete(&file, &["consent", ""]);
    for command in [
        "init",
        "grant",
        "withdraw",
        "decide",
        "export",
        "import",
        "verify",
        "refuse",
        "rectify",
        "access-request",
        "pseudonym",
        "restrict",
        "kassasjon",
        "deviations",
        "doctor",
        "completions",
        "man",
        "catalogue",
    ] {
        assert!(
            top.iter().any(|w| w == command),
            "`{command}` is not offered: {top:?}"
        );
    }
    assert!(
        !top.iter().any(|w| w == "help"),
        "clap's help command is left out"
    );
    assert_eq!(bash_complete(&file, &["consent", "gra"]), ["grant"]);
    assert_eq!(
        bash_complete(&file, &["consent", "--ledger", "x.db", "catalogue", "ch"]),
        ["check"]
    );
    assert_eq!(
        bash_complete(&file, &["consent", "withdraw", "ID", "--idem"]),
        ["--idempotency-key"]
    );
    assert_eq!(
        bash_complete(&file, &["consent", "completions", "z"]),
        ["zsh"]
    );
    // A global option is offered after a command too, and an option's value is not a command.
    assert!(bash_complete(&file, &["consent", "decide", "--js"]).contains(&"--json".to_owned()));
    assert!(bash_complete(&file, &["consent", "decide", "--purpose", ""]).is_empty());
}

#[test]
fn zsh_and_fish_scripts_parse_and_fish_completes() {
    let dir = tempfile::tempdir().unwrap();
    if have("zsh") {
        let file = script(dir.path(), "_consent", &consent(&["completions", "zsh"]));
        run("zsh", &["-n", &file]);
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.starts_with("#compdef consent"));
        assert!(
            text.contains("_consent_withdraw()"),
            "one function per command"
        );
        assert!(text.contains("'--idempotency-key["));
        // A command's function takes the global options too, as clap does.
        let decide = text.split("_consent_decide() {").nth(1).unwrap();
        let decide = decide.split("\n}\n").next().unwrap();
        assert!(
            decide.contains("'--json[") && decide.contains("'--subject["),
            "{decide}"
        );
    }
    if have("fish") {
        let file = script(
            dir.path(),
            "consent.fish",
            &consent(&["completions", "fish"]),
        );
        run("fish", &["-n", &file]);
        let complete = |line: &str| -> Vec<String> {
            run(
                "fish",
                &["-c", &format!("source {file}; complete -C '{line}'")],
            )
            .lines()
            .map(|l| l.split('\t').next().unwrap_or("").to_owned())
            .collect()
        };
        assert_eq!(complete("consent withd"), ["withdraw"]);
        assert_eq!(complete("consent completions "), ["bash", "fish", "zsh"]);
        assert!(complete("consent withdraw x --idem").contains(&"--idempotency-key".to_owned()));
        assert_eq!(complete("consent catalogue ad"), ["adopt"]);
    }
}

#[test]
fn the_manual_page_renders_every_command() {
    let page = consent(&["man"]);
    assert!(page.starts_with(".TH CONSENT 1"));
    for section in [
        ".SH NAME",
        ".SH SYNOPSIS",
        ".SH GLOBAL OPTIONS",
        ".SH COMMANDS",
        ".SH EXIT STATUS",
    ] {
        assert!(page.contains(section), "{section} is missing");
    }
    for command in [
        "withdraw",
        "decide",
        "catalogue check",
        "doctor",
        "completions",
    ] {
        assert!(
            page.contains(&format!(".SS \"consent {command}\"")),
            "no section for `{command}`"
        );
    }
    // Every option a command has is described, with its environment variable where it has one.
    assert!(page.contains("\\fB\\-\\-idempotency\\-key\\fR"));
    assert!(page.contains("CONSENT_LEDGER"));
    if !have("groff") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = script(dir.path(), "consent.1", &page);
    // -ww: every warning; -z: no output. A warning is a roff mistake in the page.
    let output = Command::new("groff")
        .args(["-man", "-ww", "-z", &file])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(
        output.stderr.is_empty(),
        "groff warns: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    // And it renders: every command's section is in the text (bold marks removed).
    let text: String = run(
        "groff",
        &["-man", "-Tascii", "-P", "-c", "-P", "-b", "-P", "-u", &file],
    );
    assert!(text.contains("consent withdraw"), "{text}");
}
