//! Guard: nothing of one request may stay in an instance for the next. Spin 4 reuses a
//! WASIp3 instance (and the library instances composed into it) for many requests, so
//! any `static`, `thread_local!`, `OnceLock`, `OnceCell` or `LazyLock` in the code the
//! components are built from outlives the request that filled it. This test lists every
//! one in `components/*/src` (test code aside) and fails on any that is not in
//! [`ALLOWED`] with the reason it holds no secret, token or member data.

use std::fs;
use std::path::{Path, PathBuf};

/// Per-instance state that is allowed: (file under `components/`, text of the line, why
/// it is safe to keep between requests).
const ALLOWED: &[(&str, &str, &str)] = &[
    (
        "spin-adapter/src/ports.rs",
        "thread_local! {",
        "holds the store handle below",
    ),
    (
        "spin-adapter/src/ports.rs",
        "static DEFAULT_BUCKET",
        "the handle of the `default` key-value bucket: no data, no secret; every read \
         goes to the store",
    ),
    (
        "spin-adapter/src/ports.rs",
        "use std::cell::OnceCell;",
        "an import",
    ),
    (
        "spin-adapter/src/spin.rs",
        "thread_local! {",
        "holds the store handle below",
    ),
    (
        "spin-adapter/src/spin.rs",
        "static DEFAULT_STORE",
        "the handle of the `default` key-value store: no data, no secret; every read \
         goes to the store",
    ),
    (
        "spin-adapter/src/spin.rs",
        "const { std::cell::OnceCell::new() };",
        "the initial value of the store handle above",
    ),
    (
        "config/src/component.rs",
        "thread_local! {",
        "holds the config service below",
    ),
    (
        "config/src/component.rs",
        "static SERVICE: Rc<Service>",
        "the config service and its TTL cache: server settings and the deployment \
         document (no secrets are stored in them) and which server owns a channel; \
         entries expire after config_cache_ttl_seconds, a write replaces the writer's",
    ),
    (
        "config/src/service.rs",
        "use std::cell::{OnceCell, RefCell};",
        "an import",
    ),
    (
        "config/src/service.rs",
        "json: OnceCell<String>,",
        "the JSON of one cached settings entry, dropped with it",
    ),
    (
        "config/src/service.rs",
        "json: OnceCell::new(),",
        "the JSON of one cached settings entry, dropped with it",
    ),
    (
        "config/src/service.rs",
        "static NONE: Value = Value::Null;",
        "a constant",
    ),
    (
        "common/src/telemetry.rs",
        "thread_local! {",
        "holds the telemetry context below",
    ),
    (
        "common/src/telemetry.rs",
        "static CONTEXT: RefCell<Context>",
        "the component's name and the random id of the request being run (each \
         request's future puts its own in place while it is polled: in_context); \
         never a secret",
    ),
    (
        "discord-api/src/commands/validate.rs",
        "use std::sync::OnceLock;",
        "an import",
    ),
    (
        "discord-api/src/commands/validate.rs",
        "static NAME: OnceLock<Option<Regex>>",
        "a compiled constant regular expression",
    ),
    (
        "guild-config/src/schema.rs",
        "static ROOT: Kind",
        "the constant settings schema",
    ),
];

/// The words that make state outlive a request.
const MARKERS: &[&str] = &[
    "static",
    "thread_local",
    "OnceLock",
    "OnceCell",
    "LazyLock",
    "lazy_static",
];

fn components_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// Whether `line` has `word` as a whole word (so `'static` lifetimes are not state).
fn has_word(line: &str, word: &str) -> bool {
    line.match_indices(word).any(|(at, _)| {
        let before = line[..at].chars().next_back();
        let after = line[at + word.len()..].chars().next();
        let boundary = |c: Option<char>| c.is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        boundary(before) && before != Some('\'') && boundary(after)
    })
}

/// The code of a file without its test modules (`#[cfg(test)]` then `mod tests {`, up
/// to the closing `}` in the first column).
fn code_without_tests(text: &str) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().collect();
    let mut code = Vec::new();
    let mut in_tests = false;
    for (i, line) in lines.iter().enumerate() {
        if in_tests {
            in_tests = *line != "}";
            continue;
        }
        let starts_tests = line.trim() == "#[cfg(test)]"
            && lines
                .get(i + 1)
                .is_some_and(|next| next.starts_with("mod tests {"));
        if starts_tests {
            in_tests = true;
            continue;
        }
        code.push(*line);
    }
    code
}

/// Every line of the components' code with per-instance state: (file, line).
fn state_lines() -> Vec<(String, String)> {
    let root = components_dir();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut found = Vec::new();
    for file in files {
        let relative = file
            .strip_prefix(&root)
            .unwrap_or(&file)
            .to_string_lossy()
            .replace('\\', "/");
        let skip = relative.starts_with("register-commands/") // a CLI, never in Spin
            || relative.ends_with("/testing.rs") // `#[cfg(test)]` fakes
            || relative.contains("/tests/")
            || !relative.contains("/src/");
        if skip {
            continue;
        }
        let Ok(text) = fs::read_to_string(&file) else {
            continue;
        };
        for line in code_without_tests(&text) {
            let code = line.split("//").next().unwrap_or("");
            if MARKERS.iter().any(|marker| has_word(code, marker)) {
                found.push((relative.clone(), line.trim().to_owned()));
            }
        }
    }
    found
}

#[test]
fn every_piece_of_instance_state_is_allowed_with_a_reason() {
    let unexplained: Vec<String> = state_lines()
        .into_iter()
        .filter(|(file, line)| {
            !ALLOWED
                .iter()
                .any(|(f, text, _)| f == file && line.contains(text))
        })
        .map(|(file, line)| format!("{file}: {line}"))
        .collect();
    assert!(
        unexplained.is_empty(),
        "state that outlives a request, not in the allow-list (add it with the reason it \
         holds no secret, token or member data, or remove it):\n{}",
        unexplained.join("\n")
    );
}

#[test]
fn the_scan_finds_the_state_it_allows() {
    // The scan sees the known state: were it blind, the test above could not fail.
    let found = state_lines();
    for (file, text, _) in ALLOWED {
        assert!(
            found
                .iter()
                .any(|(f, line)| f == file && line.contains(text)),
            "allow-list entry no longer found (remove it): {file}: {text}"
        );
    }
}

#[test]
fn a_static_is_found_but_a_static_lifetime_is_not() {
    assert!(has_word(
        "static TOKEN: OnceLock<String> = OnceLock::new();",
        "static"
    ));
    assert!(has_word("thread_local! {", "thread_local"));
    assert!(!has_word("fn run(work: impl FnOnce() + 'static)", "static"));
    assert!(!has_word("let statics = 1;", "static"));
}
