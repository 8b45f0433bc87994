#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod cli;
mod commands;
mod context;
mod contract;
mod error;
mod ids;
mod progress;
mod table;
mod when;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;
use crate::context::Context;
use crate::error::{CliError, mask_national_ids};

/// The exit code of every error.
const EXIT_ERROR: u8 = 2;

/// The `schema` of an error under `--json` (docs/cli-json.md).
const ERROR_SCHEMA: &str = "consent-cli-error/1";

/// The `schema` of a finding under `--json`: what a command with exit code 1 (denied, does not
/// verify, a problem found) also says on standard error.
const FINDING_SCHEMA: &str = "consent-cli-finding/1";

fn main() -> ExitCode {
    // A bug must still end with a one-line message and exit code 2, never a backtrace.
    std::panic::set_hook(Box::new(|info| {
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let _ = writeln!(
            std::io::stderr(),
            "error: internal error, please report it: {}",
            mask_national_ids(&what.replace('\n', " "))
        );
    }));
    std::panic::catch_unwind(run).unwrap_or(ExitCode::from(EXIT_ERROR))
}

fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(&error),
    };
    let ctx = Context {
        global: &cli.global,
    };
    match commands::run(&cli.command, &ctx) {
        Ok(outcome) => {
            if let Err(error) = write_stdout(&outcome.stdout) {
                return report(&error, ctx.json());
            }
            if let Some(line) = outcome.stderr {
                let line = mask_national_ids(&line);
                let line = if ctx.json() {
                    // Under --json, standard error carries JSON documents only.
                    serde_json::json!({"schema": FINDING_SCHEMA, "finding": {"message": line}})
                        .to_string()
                } else {
                    line
                };
                let _ = writeln!(std::io::stderr(), "{line}");
            }
            ExitCode::from(outcome.code)
        }
        Err(error) => report(&error, ctx.json()),
    }
}

/// Writes the output (never masked: it is data, and no command echoes a national id); a closed
/// pipe (`consent … | head`) is not an error.
fn write_stdout(text: &str) -> Result<(), CliError> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError::new(
            "storage",
            format!("cannot write to standard output: {e}"),
        )),
        _ => Ok(()),
    }
}

/// Prints an error on standard error and returns exit code 2.
fn report(error: &CliError, json: bool) -> ExitCode {
    let line = if json {
        serde_json::json!({
            "schema": ERROR_SCHEMA,
            "error": {"code": error.code(), "message": error.message()},
        })
        .to_string()
    } else {
        format!("error: {}", error.message())
    };
    let _ = writeln!(std::io::stderr(), "{line}");
    ExitCode::from(EXIT_ERROR)
}

/// Help and version go to standard output with exit code 0; a usage error to standard error
/// with exit code 2, masked like every other message.
fn usage_error(error: &clap::Error) -> ExitCode {
    let text = error.render().to_string();
    if !error.use_stderr() {
        let _ = write_stdout(&text);
        return ExitCode::SUCCESS;
    }
    if std::env::args_os().any(|a| a == "--json") {
        let _ = writeln!(std::io::stderr(), "{}", usage_json(error, &text));
        return ExitCode::from(EXIT_ERROR);
    }
    let _ = write!(std::io::stderr(), "{}", mask_national_ids(&text));
    ExitCode::from(EXIT_ERROR)
}

/// A usage error as one JSON document (`docs/json.md`, "Errors"): the stable code `usage`, what
/// kind of mistake, the whole message on one line, and the arguments it names (the missing
/// ones, the one with a bad value, or the unknown one), each masked like every message.
fn usage_json(error: &clap::Error, text: &str) -> serde_json::Value {
    use clap::error::{ContextKind, ContextValue};
    let mut arguments: Vec<String> = Vec::new();
    let mut value = None;
    for (kind, context) in error.context() {
        let strings: Vec<String> = match context {
            ContextValue::String(one) => vec![one.clone()],
            ContextValue::Strings(many) => many.clone(),
            _ => continue,
        };
        match kind {
            ContextKind::InvalidArg | ContextKind::InvalidSubcommand => {
                arguments.extend(strings.iter().map(|s| mask_national_ids(s)));
            }
            ContextKind::InvalidValue => value = strings.first().map(|s| mask_national_ids(s)),
            _ => {}
        }
    }
    // The first line and its indented continuation (clap lists missing arguments below it).
    let mut lines = text.lines();
    let first = lines.next().unwrap_or_default();
    let mut message = first.strip_prefix("error: ").unwrap_or(first).to_owned();
    for line in lines.take_while(|l| l.starts_with("  ")) {
        message.push(' ');
        message.push_str(line.trim());
    }
    let kind = format!("{:?}", error.kind());
    let mut snake = String::new();
    for (i, c) in kind.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            snake.push('_');
        }
        snake.push(c.to_ascii_lowercase());
    }
    serde_json::json!({"schema": ERROR_SCHEMA, "error": {
        "code": "usage",
        "kind": snake,
        "message": mask_national_ids(message.trim_end_matches(':')),
        "arguments": arguments,
        "value": value,
    }})
}
