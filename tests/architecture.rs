//! The house rules of `src-tauri/`, read from the sources: which module may name which, so
//! that the arrows the architecture forbids (and any import cycle) fail here, not in review.
//! Also the custody rule: only `tokens.rs` reads or writes account tokens in the vault.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The Rust sources under `src-tauri/`, as `(module, text)`: `service`, `hive/links`, ...
fn sources() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src-tauri");
    let mut files = Vec::new();
    collect(&root, &mut files);
    files
        .into_iter()
        .map(|path| {
            let module = path
                .strip_prefix(&root)
                .unwrap()
                .with_extension("")
                .to_string_lossy()
                .replace("/mod", "");
            (module, std::fs::read_to_string(&path).unwrap())
        })
        .collect()
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
}

/// The code of `text` without comments and string literals (so a doc line naming a module
/// is not an import).
fn code_of(text: &str) -> String {
    text.lines()
        .map(|line| {
            let line = line.split("//").next().unwrap_or_default();
            let mut kept = String::new();
            let mut quoted = false;
            for c in line.chars() {
                if c == '"' {
                    quoted = !quoted;
                } else if !quoted {
                    kept.push(c);
                }
            }
            kept
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The crate modules `text` names (`crate::x`, `crate::x::y`, `crate::{x, y::z}`), by their
/// top-level name, and `hive/...` or `oauth/...` for paths into those folders.
fn named_modules(text: &str) -> BTreeSet<String> {
    let code = code_of(text);
    let mut named = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = matching_brace(group);
            for item in group[..end].split(',') {
                named.extend(module_path(item.trim()));
            }
        } else {
            named.extend(module_path(rest));
        }
    }
    named
}

fn matching_brace(text: &str) -> usize {
    let mut depth = 0;
    for (index, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return index,
            '}' => depth -= 1,
            _ => {}
        }
    }
    text.len()
}

/// `x` or `folder/x` for a path starting `x::...`.
fn module_path(path: &str) -> Option<String> {
    let segments: Vec<&str> = path
        .split("::")
        .map(|s| s.trim_matches(|c: char| !c.is_alphanumeric() && c != '_'))
        .take(2)
        .collect();
    let first = *segments.first()?;
    if first.is_empty() || first.chars().next()?.is_uppercase() {
        return None;
    }
    match (first, segments.get(1)) {
        ("hive" | "oauth", Some(second))
            if second.chars().next().is_some_and(char::is_lowercase) =>
        {
            Some(format!("{first}/{second}"))
        }
        _ => Some(first.to_owned()),
    }
}

/// Which modules each module names.
fn arrows() -> BTreeMap<String, BTreeSet<String>> {
    sources()
        .into_iter()
        .map(|(module, text)| {
            let mut named = named_modules(&text);
            named.remove(&module);
            (module, named)
        })
        .collect()
}

fn top(module: &str) -> &str {
    module.split('/').next().unwrap_or(module)
}

#[test]
fn the_forbidden_arrows_do_not_exist() {
    let arrows = arrows();
    assert!(arrows.len() > 20, "the sources were found: {arrows:?}");
    // `cli` is the command-line front end (`authdeck status`, `authdeck token`): like the
    // window's shell it assembles the core, but it names no Tauri (see below).
    let shell = ["lib", "commands", "main", "build", "cli"];
    let services = ["signin", "catalog", "compose", "broadcast"];
    let mut broken = Vec::new();
    for (from, named) in &arrows {
        for to in named {
            let rule = if !shell.contains(&from.as_str()) && from != "service" && to == "service" {
                Some("a module below the core names service.rs")
            } else if from == "tokens" && services.contains(&top(to)) {
                Some("tokens.rs names a service above it")
            } else if from == "broadcast" && to == "compose" {
                Some("broadcast.rs names compose.rs")
            } else if ["registry", "vault"].contains(&from.as_str())
                && ["service", "shared", "tokens", "chain", "settings"]
                    .iter()
                    .chain(services.iter())
                    .any(|above| top(to) == *above)
            {
                Some("a store names a module above it")
            } else if top(from) == "hive" && ["oauth", "registry", "vault"].contains(&top(to)) {
                Some("hive/ names oauth/, the registry or the vault")
            } else {
                None
            };
            if let Some(rule) = rule {
                broken.push(format!("{from} -> {to}: {rule}"));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "forbidden arrows:\n{}",
        broken.join("\n")
    );
}

#[test]
fn only_the_shell_names_tauri() {
    let shell = ["lib", "commands", "main", "build"];
    let offenders: Vec<String> = sources()
        .into_iter()
        .filter(|(module, _)| !shell.contains(&module.as_str()))
        .filter(|(_, text)| {
            let code = code_of(text);
            code.contains("tauri::") || code.contains("use tauri")
        })
        .map(|(module, _)| module)
        .collect();
    assert!(offenders.is_empty(), "these name tauri: {offenders:?}");
}

#[test]
fn there_is_no_import_cycle() {
    let arrows = arrows();
    // Depth-first search for a path back to where it started.
    fn reaches(
        arrows: &BTreeMap<String, BTreeSet<String>>,
        from: &str,
        target: &str,
        seen: &mut BTreeSet<String>,
        path: &mut Vec<String>,
    ) -> bool {
        for next in arrows.get(from).into_iter().flatten() {
            if next == target {
                path.push(next.clone());
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if reaches(arrows, next, target, seen, path) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    for module in arrows.keys() {
        let mut path = vec![module.clone()];
        if reaches(&arrows, module, module, &mut BTreeSet::new(), &mut path) {
            panic!("an import cycle: {}", path.join(" -> "));
        }
    }
}

#[test]
fn only_tokens_reads_or_writes_account_tokens() {
    let offenders: Vec<String> = sources()
        .into_iter()
        .filter(|(module, _)| module != "tokens" && module != "vault")
        .filter(|(_, text)| {
            let code = code_of(text);
            code.contains("vault.account(")
                || code.contains(".store_account(")
                || code.contains("AccountSecrets")
        })
        .map(|(module, _)| module)
        .collect();
    assert!(
        offenders.is_empty(),
        "these read or write account tokens outside tokens.rs: {offenders:?}"
    );
}

#[test]
fn the_reader_sees_through_groups_and_comments() {
    let named = named_modules(
        "use crate::{accounts::Account, hive::links::{self, PostRef}, oauth::token};\n\
         // use crate::service;\n let x = \"crate::vault\"; crate::error::Error::Internal",
    );
    let named: Vec<&str> = named.iter().map(String::as_str).collect();
    assert_eq!(named, ["accounts", "error", "hive/links", "oauth/token"]);
}
