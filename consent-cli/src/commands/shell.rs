//! `consent completions bash|zsh|fish` and `consent man`: written from the command line's own
//! definition (clap's reflection of `Cli`), so a new command or option appears in both without
//! anyone editing them. Plain text, no extra crates: the shells' completion languages and roff
//! need only the names, the help lines and which options take a value. (The scripts are built
//! with `write!` into a `String`, which cannot fail; hence the `let _ =`.)

use std::fmt::Write as _;

use clap::{Arg, Command, CommandFactory};

use crate::cli::{Cli, Shell};
use crate::context::Outcome;
use crate::error::CliError;

/// One command of the tree, with the words that lead to it (`["catalogue", "check"]`).
struct Node<'a> {
    path: Vec<&'a str>,
    command: &'a Command,
}

/// The command line as clap sees it, with the help and version flags clap adds.
fn definition() -> Command {
    let mut command = Cli::command();
    command.build();
    command
}

/// Every command below the root, depth first.
fn nodes(root: &Command) -> Vec<Node<'_>> {
    fn walk<'a>(command: &'a Command, path: &[&'a str], out: &mut Vec<Node<'a>>) {
        // clap's own `help` subcommand is left out: `--help` is what the scripts complete.
        for sub in command
            .get_subcommands()
            .filter(|s| !s.is_hide_set() && s.get_name() != "help")
        {
            let mut here = path.to_vec();
            here.push(sub.get_name());
            out.push(Node {
                path: here.clone(),
                command: sub,
            });
            walk(sub, &here, out);
        }
    }
    let mut out = Vec::new();
    walk(root, &[], &mut out);
    out
}

/// A command's own options (not the globals, which every command takes).
fn options(command: &Command) -> impl Iterator<Item = &Arg> {
    command
        .get_arguments()
        .filter(|a| !a.is_positional() && !a.is_hide_set() && !a.is_global_set())
}

fn globals(root: &Command) -> impl Iterator<Item = &Arg> {
    root.get_arguments()
        .filter(|a| !a.is_positional() && !a.is_hide_set())
}

fn takes_value(arg: &Arg) -> bool {
    arg.get_action().takes_values()
}

/// The values an option offers, when it has a fixed list.
fn choices(arg: &Arg) -> Vec<String> {
    arg.get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| v.get_name().to_owned())
        .collect()
}

/// Whether an option's value is a file (its value name says so).
fn is_path(arg: &Arg) -> bool {
    arg.get_value_names().is_some_and(|names| {
        names.iter().any(|n| {
            matches!(
                n.as_str(),
                "FILE" | "PATH" | "DIR" | "DEST" | "MANIFEST" | "BACKUP"
            )
        })
    })
}

fn first_line(text: Option<&clap::builder::StyledStr>) -> String {
    text.map(ToString::to_string)
        .and_then(|t| t.lines().next().map(str::to_owned))
        .unwrap_or_default()
}

/// The words of an option: `--name` (and `-n`).
fn flags(arg: &Arg) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(long) = arg.get_long() {
        out.push(format!("--{long}"));
    }
    if let Some(short) = arg.get_short() {
        out.push(format!("-{short}"));
    }
    out
}

fn bash(root: &Command) -> String {
    let nodes = nodes(root);
    let global_words: Vec<String> = globals(root).flat_map(flags).collect();
    let mut valued: Vec<String> = globals(root)
        .filter(|a| takes_value(a))
        .flat_map(flags)
        .collect();
    let mut out = String::from(
        "# bash completion for consent, written by `consent completions bash`.\n\
         # Install: consent completions bash > /etc/bash_completion.d/consent\n\
         _consent() {\n    local cur prev path word i\n    cur=\"${COMP_WORDS[COMP_CWORD]}\"\n    \
         prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n    path=\"\"\n",
    );
    for node in &nodes {
        valued.extend(
            options(node.command)
                .filter(|a| takes_value(a))
                .flat_map(flags),
        );
    }
    valued.sort();
    valued.dedup();
    // The command path: each word that names a child of the path so far.
    let _ = writeln!(
        out,
        "    for ((i = 1; i < COMP_CWORD; i++)); do\n        word=\"${{COMP_WORDS[i]}}\"\n        case \"$word\" in\n            {})\n                ((i++)); continue ;;\n        esac\n        case \"$path:$word\" in",
        valued.join("|")
    );
    for node in &nodes {
        let (last, parent) = node
            .path
            .split_last()
            .map_or(("", &[][..]), |(l, p)| (*l, p));
        let _ = writeln!(
            out,
            "            \"{}:{last}\") path=\"{}\" ;;",
            parent.join(" "),
            node.path.join(" ")
        );
    }
    out.push_str("        esac\n    done\n");
    bash_values(root, &nodes, &mut out);
    out.push_str("    case \"$path\" in\n");
    let children = |parent: &[&str]| -> Vec<String> {
        nodes
            .iter()
            .filter(|n| n.path.len() == parent.len() + 1 && n.path.starts_with(parent))
            .filter_map(|n| n.path.last().map(|s| (*s).to_owned()))
            .collect()
    };
    let _ = writeln!(
        out,
        "        \"\") COMPREPLY=($(compgen -W \"{} {}\" -- \"$cur\")) ;;",
        children(&[]).join(" "),
        global_words.join(" ")
    );
    for node in &nodes {
        let mut words: Vec<String> = children(&node.path);
        // A positional with a fixed list offers its values; any other takes a file name
        // (or `-`, a national id on standard input, which needs no completing).
        let mut files = false;
        for positional in node.command.get_positionals() {
            let values = choices(positional);
            files |= values.is_empty();
            words.extend(values);
        }
        words.extend(options(node.command).flat_map(flags));
        for word in &global_words {
            if !words.contains(word) {
                words.push(word.clone());
            }
        }
        let _ = writeln!(
            out,
            "        \"{}\") COMPREPLY=($(compgen -W \"{}\" -- \"$cur\")){} ;;",
            node.path.join(" "),
            words.join(" "),
            if files {
                "; [[ $cur != -* ]] && compopt -o filenames 2>/dev/null && COMPREPLY+=($(compgen -f -- \"$cur\"))"
            } else {
                ""
            }
        );
    }
    out.push_str("    esac\n}\ncomplete -F _consent consent\n");
    out
}

/// The bash `case` that completes the value of the option just typed: its fixed values, a
/// file name, or nothing (a free value).
fn bash_values(root: &Command, nodes: &[Node<'_>], out: &mut String) {
    out.push_str("    case \"$prev\" in\n");
    let mut seen = std::collections::BTreeSet::new();
    let all_args = globals(root).chain(nodes.iter().flat_map(|n| options(n.command)));
    for arg in all_args.filter(|a| takes_value(a)) {
        let words = flags(arg);
        let key = words.join("|");
        if !seen.insert(key.clone()) {
            continue;
        }
        let values = choices(arg);
        if !values.is_empty() {
            let _ = writeln!(
                out,
                "        {key}) COMPREPLY=($(compgen -W \"{}\" -- \"$cur\")); return ;;",
                values.join(" ")
            );
        } else if is_path(arg) {
            let _ = writeln!(
                out,
                "        {key}) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- \"$cur\")); return ;;"
            );
        } else {
            let _ = writeln!(out, "        {key}) COMPREPLY=(); return ;;");
        }
    }
    out.push_str("    esac\n");
}

/// Text for inside a zsh `'--option[help]'` spec: single-quoted, brackets escaped.
fn zsh_text(text: &str) -> String {
    text.replace('\'', "'\\''")
        .replace('[', "\\[")
        .replace(']', "\\]")
}

/// Text for a `'name:description'` entry of `_describe`: single-quoted, colons escaped.
fn zsh_described(text: &str) -> String {
    text.replace('\'', "'\\''").replace(':', "\\:")
}

fn zsh_specs(args: &mut dyn Iterator<Item = &Arg>) -> Vec<String> {
    args.flat_map(|arg| {
        let help = zsh_text(&first_line(arg.get_help()));
        let value = if !takes_value(arg) {
            String::new()
        } else if !choices(arg).is_empty() {
            format!(":value:({})", choices(arg).join(" "))
        } else if is_path(arg) {
            ":file:_files".to_owned()
        } else {
            ":value: ".to_owned()
        };
        flags(arg)
            .into_iter()
            .map(move |flag| format!("'{flag}[{help}]{value}'"))
            .collect::<Vec<_>>()
    })
    .collect()
}

fn zsh_name(path: &[&str]) -> String {
    let mut name = String::from("_consent");
    for word in path {
        name.push('_');
        name.push_str(&word.replace('-', "_"));
    }
    name
}

fn zsh(root: &Command) -> String {
    let nodes = nodes(root);
    let globals = zsh_specs(&mut globals(root));
    let mut out = String::from(
        "#compdef consent\n# zsh completion for consent, written by `consent completions zsh`.\n\
         # Install: consent completions zsh > \"${fpath[1]}/_consent\"\n\n",
    );
    let mut functions = vec![(Vec::<&str>::new(), root)];
    functions.extend(nodes.iter().map(|n| (n.path.clone(), n.command)));
    for (path, command) in functions {
        let subs: Vec<&Command> = command
            .get_subcommands()
            .filter(|s| !s.is_hide_set() && s.get_name() != "help")
            .collect();
        let _ = writeln!(out, "{}() {{", zsh_name(&path));
        // The global options are taken after a command too, as clap takes them.
        let mut specs = globals.clone();
        if !path.is_empty() {
            for spec in zsh_specs(&mut options(command)) {
                if !specs.contains(&spec) {
                    specs.push(spec);
                }
            }
        }
        if subs.is_empty() {
            for (index, positional) in command.get_positionals().enumerate() {
                let values = choices(positional);
                specs.push(if values.is_empty() {
                    "'*:argument:_files'".to_owned()
                } else {
                    format!("'{}:value:({})'", index + 1, values.join(" "))
                });
            }
            let _ = writeln!(
                out,
                "    _arguments -s \\\n        {}\n}}\n",
                specs.join(" \\\n        ")
            );
            continue;
        }
        out.push_str("    local curcontext=\"$curcontext\" state line\n    local -a commands\n    commands=(\n");
        for sub in &subs {
            let _ = writeln!(
                out,
                "        '{}:{}'",
                sub.get_name(),
                zsh_described(&first_line(sub.get_about()))
            );
        }
        out.push_str("    )\n");
        specs.push("'1:command:->command'".to_owned());
        specs.push("'*::argument:->argument'".to_owned());
        let _ = writeln!(
            out,
            "    _arguments -C -s \\\n        {}\n    case $state in\n        command) _describe -t commands 'consent command' commands ;;\n        argument)\n            case $line[1] in",
            specs.join(" \\\n        ")
        );
        for sub in &subs {
            let mut sub_path = path.clone();
            sub_path.push(sub.get_name());
            let _ = writeln!(
                out,
                "                {}) {} ;;",
                sub.get_name(),
                zsh_name(&sub_path)
            );
        }
        out.push_str("            esac ;;\n    esac\n}\n\n");
    }
    out.push_str("_consent \"$@\"\n");
    out
}

/// Text for inside fish's single quotes.
fn fish_text(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\'', "\\'")
}

fn fish(root: &Command) -> String {
    let nodes = nodes(root);
    let mut out = String::from(
        "# fish completion for consent, written by `consent completions fish`.\n\
         # Install: consent completions fish > ~/.config/fish/completions/consent.fish\n\
         complete -c consent -f\n",
    );
    let names: Vec<&str> = root
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
        .map(Command::get_name)
        .collect();
    let option = |arg: &Arg, condition: &str| -> String {
        let mut line = format!("complete -c consent{condition}");
        if let Some(long) = arg.get_long() {
            let _ = write!(line, " -l {long}");
        }
        if let Some(short) = arg.get_short() {
            let _ = write!(line, " -s {short}");
        }
        if takes_value(arg) {
            let values = choices(arg);
            if !values.is_empty() {
                let _ = write!(line, " -x -a '{}'", values.join(" "));
            } else if is_path(arg) {
                line.push_str(" -r -F");
            } else {
                line.push_str(" -x");
            }
        }
        let _ = write!(line, " -d '{}'", fish_text(&first_line(arg.get_help())));
        line
    };
    for arg in globals(root) {
        let _ = writeln!(out, "{}", option(arg, ""));
    }
    for node in &nodes {
        let condition = match node.path.as_slice() {
            [only] => {
                let _ = writeln!(
                    out,
                    "complete -c consent -n 'not __fish_seen_subcommand_from {}' -a {only} -d '{}'",
                    names.join(" "),
                    fish_text(&first_line(node.command.get_about()))
                );
                format!(" -n '__fish_seen_subcommand_from {only}'")
            }
            [parent, .., last] => {
                let siblings: Vec<&str> = nodes
                    .iter()
                    .filter(|n| n.path.len() == node.path.len() && n.path.first() == Some(parent))
                    .filter_map(|n| n.path.last().copied())
                    .collect();
                let _ = writeln!(
                    out,
                    "complete -c consent -n '__fish_seen_subcommand_from {parent}; and not __fish_seen_subcommand_from {}' -a {last} -d '{}'",
                    siblings.join(" "),
                    fish_text(&first_line(node.command.get_about()))
                );
                format!(" -n '__fish_seen_subcommand_from {last}'")
            }
            [] => continue,
        };
        for arg in options(node.command) {
            let _ = writeln!(out, "{}", option(arg, &condition));
        }
        if node.command.get_subcommands().next().is_none() {
            for positional in node.command.get_positionals() {
                let values = choices(positional);
                if values.is_empty() {
                    let _ = writeln!(out, "complete -c consent{condition} -F");
                } else {
                    let _ = writeln!(
                        out,
                        "complete -c consent{condition} -x -a '{}'",
                        values.join(" ")
                    );
                }
            }
        }
    }
    out
}

/// Text for a roff line: backslashes and hyphens escaped, and a leading dot or quote kept as
/// text.
fn roff(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    escaped
        .lines()
        .map(|line| {
            if line.starts_with('.') || line.starts_with('\'') {
                format!("\\&{line}")
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn man_option(out: &mut String, arg: &Arg) {
    let mut words = flags(arg)
        .into_iter()
        .map(|f| format!("\\fB{}\\fR", roff(&f)))
        .collect::<Vec<_>>()
        .join(", ");
    if takes_value(arg) {
        let name = arg
            .get_value_names()
            .and_then(|n| n.first().map(ToString::to_string))
            .unwrap_or_else(|| "VALUE".to_owned());
        let _ = write!(words, " \\fI{}\\fR", roff(&name));
    }
    let _ = writeln!(out, ".TP\n{words}");
    let help = arg
        .get_long_help()
        .or_else(|| arg.get_help())
        .map(ToString::to_string)
        .unwrap_or_default();
    let _ = writeln!(out, "{}", roff(help.trim()));
    if let Some(env) = arg.get_env() {
        let _ = writeln!(
            out,
            "(environment: \\fB{}\\fR)",
            roff(&env.to_string_lossy())
        );
    }
}

fn man(root: &Command) -> String {
    let mut out = String::new();
    let version = root.get_version().unwrap_or("");
    let _ = writeln!(
        out,
        ".TH CONSENT 1 \"\" \"consent {}\" \"User Commands\"\n.SH NAME\nconsent \\- {}",
        roff(version),
        roff(&first_line(root.get_about()))
    );
    out.push_str(
        ".SH SYNOPSIS\n\\fBconsent\\fR [\\fIGLOBAL OPTIONS\\fR] \\fICOMMAND\\fR [\\fIOPTIONS\\fR]\n",
    );
    let about = root
        .get_long_about()
        .or_else(|| root.get_about())
        .map(ToString::to_string)
        .unwrap_or_default();
    let _ = writeln!(out, ".SH DESCRIPTION\n{}", roff(about.trim()));
    if let Some(after) = root.get_after_help() {
        let _ = writeln!(out, ".PP\n{}", roff(after.to_string().trim()));
    }
    out.push_str(".SH GLOBAL OPTIONS\n");
    for arg in root.get_arguments().filter(|a| !a.is_positional()) {
        man_option(&mut out, arg);
    }
    out.push_str(".SH COMMANDS\n");
    for node in nodes(root) {
        let _ = writeln!(out, ".SS \"consent {}\"", roff(&node.path.join(" ")));
        let about = node
            .command
            .get_long_about()
            .or_else(|| node.command.get_about())
            .map(ToString::to_string)
            .unwrap_or_default();
        let _ = writeln!(out, "{}", roff(about.trim()));
        for arg in node.command.get_positionals() {
            let name = arg
                .get_value_names()
                .and_then(|n| n.first().map(ToString::to_string))
                .unwrap_or_else(|| arg.get_id().to_string().to_uppercase());
            let _ = writeln!(out, ".TP\n\\fI{}\\fR", roff(&name));
            let _ = writeln!(out, "{}", roff(first_line(arg.get_help()).trim()));
        }
        for arg in options(node.command).filter(|a| a.get_long() != Some("help")) {
            man_option(&mut out, arg);
        }
        if let Some(after) = node.command.get_after_help() {
            let _ = writeln!(out, ".PP\n.nf\n{}\n.fi", roff(after.to_string().trim()));
        }
    }
    out.push_str(
        ".SH EXIT STATUS\n.TP\n0\nSuccess: done, permitted, verified, healthy.\n.TP\n1\n\
         A negative finding: a decision denied, a chain that does not verify, a problem `doctor` \
         found.\n.TP\n2\nAn error: bad input, a missing file, a refused operation; nothing was \
         written.\n.SH SEE ALSO\nThe project's README.md and docs/ (the JSON documents, the \
         catalogue, the error codes).\n",
    );
    out
}

/// `consent completions SHELL`.
pub fn completions(shell: Shell) -> Result<Outcome, CliError> {
    let root = definition();
    Ok(Outcome::ok(match shell {
        Shell::Bash => bash(&root),
        Shell::Zsh => zsh(&root),
        Shell::Fish => fish(&root),
    }))
}

/// `consent man`: the manual page in roff (`consent man | man -l -`).
pub fn manual() -> Result<Outcome, CliError> {
    Ok(Outcome::ok(man(&definition())))
}
