//! The `--json` contract (docs/cli-json.md): every command the command line defines is listed
//! there with the `schema` of each JSON document it prints, or as exempt (its output is a
//! document of another kind). Tested here against clap's own definition, so a new command
//! without a documented shape fails; `tests/json_contract.rs` runs every command and validates
//! its output against the shapes under docs/schemas/.

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::PathBuf;

    use clap::CommandFactory;

    use crate::cli::Cli;

    fn docs() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs")
    }

    /// Every command below the root, as its words (`catalogue show`), leaves only.
    fn leaves() -> BTreeSet<String> {
        fn walk(command: &clap::Command, path: &str, out: &mut BTreeSet<String>) {
            for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
                let here = format!(
                    "{path}{}{}",
                    if path.is_empty() { "" } else { " " },
                    sub.get_name()
                );
                if sub.has_subcommands() {
                    walk(sub, &here, out);
                } else {
                    out.insert(here);
                }
            }
        }
        let mut out = BTreeSet::new();
        walk(&Cli::command(), "", &mut out);
        out
    }

    /// The table of docs/cli-json.md: command → its schemas (empty: exempt).
    fn documented() -> BTreeMap<String, Vec<String>> {
        let text = std::fs::read_to_string(docs().join("cli-json.md")).unwrap();
        let mut out = BTreeMap::new();
        for line in text.lines().filter(|l| l.starts_with("| `")) {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let command = cells[1].trim_matches('`').to_owned();
            let schemas: Vec<String> = cells[2]
                .split('`')
                .filter(|s| s.starts_with("consent-cli-"))
                .map(str::to_owned)
                .collect();
            assert!(
                !schemas.is_empty() || cells[2].starts_with("exempt"),
                "docs/cli-json.md: `{command}` names no schema and is not exempt"
            );
            assert!(
                out.insert(command.clone(), schemas).is_none(),
                "`{command}` twice"
            );
        }
        out
    }

    #[test]
    fn every_command_has_a_documented_json_shape_or_is_exempt() {
        let documented = documented();
        let listed: BTreeSet<String> = documented.keys().cloned().collect();
        let commands = leaves();
        let undocumented: Vec<&String> = commands.difference(&listed).collect();
        let unknown: Vec<&String> = listed.difference(&commands).collect();
        assert!(
            undocumented.is_empty() && unknown.is_empty(),
            "docs/cli-json.md's table must list every command, each with the schema of its \
             --json output or as exempt: add {undocumented:?}; remove {unknown:?}"
        );
    }

    #[test]
    fn every_documented_schema_has_its_shape_and_every_shape_is_documented() {
        let mut named: BTreeSet<String> = documented().into_values().flatten().collect();
        // The documents of standard error, which every command may print.
        for schema in [
            "consent-cli-error/1",
            "consent-cli-warning/1",
            "consent-cli-finding/1",
        ] {
            named.insert(schema.to_owned());
        }
        let mut files = BTreeSet::new();
        for entry in std::fs::read_dir(docs().join("schemas")).unwrap() {
            let path = entry.unwrap().path();
            let shape: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let schema = shape["properties"]["schema"]["const"]
                .as_str()
                .unwrap_or_else(|| panic!("{}: no `schema` const", path.display()))
                .to_owned();
            let (name, version) = schema.split_once('/').unwrap();
            assert_eq!(
                path.file_name().unwrap().to_str().unwrap(),
                format!("{name}-v{version}.json"),
                "a shape's file is named by its schema"
            );
            files.insert(schema);
        }
        assert_eq!(
            named, files,
            "docs/cli-json.md's schemas and docs/schemas/ differ"
        );
        let text = std::fs::read_to_string(docs().join("cli-json.md")).unwrap();
        for schema in &files {
            let (name, version) = schema.split_once('/').unwrap();
            assert!(
                text.contains(&format!("schemas/{name}-v{version}.json")),
                "docs/cli-json.md links no shape file for `{schema}`"
            );
        }
    }
}
