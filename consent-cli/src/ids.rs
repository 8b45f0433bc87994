//! National ids off the command line: an argument `-` reads the id from standard input (one
//! per line), so it never shows in the process list or the shell's history, and
//! `decide --subjects-from FILE` reads many. A line is trimmed; an empty or bad line is an error
//! that names its line number, never the id.

use std::io::{BufRead, IsTerminal, Read};
use std::path::Path;

use consent_core::{Ledger, NationalId};

use crate::context::read_input;
use crate::error::CliError;

/// The most standard input may hold for the ids of one command (a few lines).
const MAX_STDIN_IDS_BYTES: usize = 4096;

/// The argument that means "read it from standard input".
pub const STDIN: &str = "-";

/// A national id as given, not yet parsed: read from an argument or a line of standard input
/// before the ledger is opened, so that no writer's lock is held while someone types.
#[derive(Debug)]
pub struct Given {
    label: String,
    text: String,
    /// The line of standard input it came from.
    line: Option<usize>,
}

impl Given {
    /// The id, parsed with the ledger's options (test mode or not).
    ///
    /// # Errors
    /// `invalid_national_id` (or the core's code) naming the label and the line, never the id.
    pub fn parse(&self, ledger: &Ledger) -> Result<NationalId, CliError> {
        match self.line {
            Some(number) => parse_line(ledger, &self.text, number, "standard input")
                .map_err(|e| e.context(&self.label)),
            None => ledger
                .parse_national_id(&self.text)
                .map_err(|e| CliError::from(e).context(&self.label)),
        }
    }
}

/// The ids of a command's arguments, each `(label, argument)`: an argument `-` takes the next
/// line of standard input, in the order given. Call it before opening the ledger.
///
/// # Errors
/// `invalid_input` for an empty line, for fewer lines than `-` arguments, or for more; a read
/// error.
pub fn read(args: &[(&str, &str)]) -> Result<Vec<Given>, CliError> {
    let wanted = args.iter().filter(|(_, arg)| *arg == STDIN).count();
    let mut lines = if wanted == 0 {
        Vec::new()
    } else {
        stdin_lines(wanted)?
    }
    .into_iter();
    args.iter()
        .map(|(label, arg)| {
            if *arg != STDIN {
                return Ok(Given {
                    label: (*label).to_owned(),
                    text: (*arg).to_owned(),
                    line: None,
                });
            }
            let (number, line) = lines.next().ok_or_else(|| {
                CliError::new(
                    "invalid_input",
                    format!(
                        "{label}: standard input ended before the id; give one id per line for each `-`"
                    ),
                )
            })?;
            let text = line.trim();
            if text.is_empty() {
                return Err(empty_line("standard input", number).context(label));
            }
            Ok(Given {
                label: (*label).to_owned(),
                text: text.to_owned(),
                line: Some(number),
            })
        })
        .collect()
}

/// The id of one command argument (`-`: the one line of standard input).
///
/// # Errors
/// As [`read`].
pub fn read_one(label: &str, arg: &str) -> Result<Given, CliError> {
    read(&[(label, arg)])?
        .pop()
        .ok_or_else(|| CliError::new("invalid_input", format!("{label}: no id given")))
}

fn empty_line(source: &str, number: usize) -> CliError {
    CliError::new(
        "invalid_input",
        format!("{source}, line {number}: empty line; give one national id per line"),
    )
}

/// The ids of a file of one id per line (`-`: standard input), each with its line number,
/// all parsed before any is used.
///
/// # Errors
/// An empty file, an empty or bad line (named by its number), a file too large or unreadable.
pub fn national_ids_from(
    ledger: &Ledger,
    path: &Path,
    limit: usize,
) -> Result<Vec<(usize, NationalId)>, CliError> {
    let shown = if path.as_os_str() == STDIN {
        "standard input".to_owned()
    } else {
        format!("`{}`", path.display())
    };
    let text = read_input(path, limit)?;
    let ids = text
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let number = i + 1;
            parse_line(ledger, line, number, &shown).map(|id| (number, id))
        })
        .collect::<Result<Vec<_>, CliError>>()?;
    if ids.is_empty() {
        return Err(CliError::new(
            "invalid_input",
            format!("{shown} holds no national ids (one per line)"),
        ));
    }
    Ok(ids)
}

/// One line of ids: trimmed, never empty, and never echoed in an error.
fn parse_line(
    ledger: &Ledger,
    line: &str,
    number: usize,
    source: &str,
) -> Result<NationalId, CliError> {
    let text = line.trim();
    if text.is_empty() {
        return Err(empty_line(source, number));
    }
    // The core's message says why, with any id in it masked.
    ledger
        .parse_national_id(text)
        .map_err(|e| CliError::from(e).context(format!("{source}, line {number}")))
}

/// The first `wanted` lines of standard input, numbered from 1. From a terminal, exactly those
/// lines are read (so Enter ends the input); from a pipe or file, all of it, and a line beyond
/// them is an error (an id meant for something else is never silently dropped).
fn stdin_lines(wanted: usize) -> Result<Vec<(usize, String)>, CliError> {
    let stdin = std::io::stdin();
    let shown = Path::new("standard input");
    if stdin.is_terminal() {
        let mut lock = stdin.lock();
        let mut lines = Vec::with_capacity(wanted);
        for number in 1..=wanted {
            let mut line = String::new();
            (&mut lock)
                .take(u64::try_from(MAX_STDIN_IDS_BYTES).unwrap_or(u64::MAX))
                .read_line(&mut line)
                .map_err(|e| CliError::io("read", shown, &e))?;
            lines.push((number, line));
        }
        return Ok(lines);
    }
    let text = read_input(Path::new(STDIN), MAX_STDIN_IDS_BYTES)?;
    let lines: Vec<(usize, String)> = text
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.to_owned()))
        .collect();
    if let Some((number, _)) = lines.get(wanted) {
        return Err(CliError::new(
            "invalid_input",
            format!(
                "standard input, line {number}: more lines than ids asked for ({wanted}); for many subjects use `decide --subjects-from FILE`"
            ),
        ));
    }
    Ok(lines)
}
