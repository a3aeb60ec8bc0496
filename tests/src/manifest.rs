//! spin.toml, read the way Spin reads it (manifest v2): unknown fields are errors,
//! variables need a default or `required = true`, templates must name declared
//! variables, and a component used as a dependency may not hold permissions of its own.

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The parts of a Spin application the test host runs.
#[derive(Debug, Clone)]
pub struct App {
    /// The folder spin.toml is in; component sources are relative to it.
    pub root: PathBuf,
    /// Application variables by name.
    pub variables: BTreeMap<String, Variable>,
    /// HTTP triggers in manifest order.
    pub http_triggers: Vec<HttpTrigger>,
    /// Components by id.
    pub components: BTreeMap<String, Component>,
}

/// An application variable.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Variable {
    /// The value used when no provider sets one.
    pub default: Option<String>,
    /// A provider must set it or the app does not start.
    #[serde(default)]
    pub required: bool,
    /// Spin keeps the value out of logs and traces.
    #[serde(default)]
    pub secret: bool,
}

/// One `[[trigger.http]]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HttpTrigger {
    /// `/exact` or `/prefix/...`.
    pub route: String,
    /// The component id it runs.
    pub component: String,
    /// Spin's optional executor table (only the default, spin, is supported here).
    pub executor: Option<toml::Value>,
}

/// One `[component.<id>]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Component {
    /// Path to the `.wasm`, relative to spin.toml.
    pub source: String,
    /// A description; unused by the host.
    pub description: Option<String>,
    /// Key-value store labels the component may open.
    #[serde(default)]
    pub key_value_stores: Vec<String>,
    /// Origins outbound HTTP may reach; may hold `{{ variable }}` templates.
    #[serde(default)]
    pub allowed_outbound_hosts: Vec<String>,
    /// Component variables: name → template over application variables.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// WIT interfaces satisfied by other components or files.
    #[serde(default)]
    pub dependencies: BTreeMap<String, Dependency>,
    /// Whether dependencies use this component's stores, hosts and variables.
    #[serde(default)]
    pub dependencies_inherit_configuration: bool,
    /// The build command; unused by the host (the test command builds first).
    pub build: Option<toml::Value>,
    /// Files the component may read; must be empty here.
    #[serde(default)]
    pub files: Vec<toml::Value>,
    /// Environment variables; unused by this app.
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
}

/// Where a dependency comes from.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Dependency {
    /// Another component of this app (Spin 3.5+).
    pub component: Option<String>,
    /// A local `.wasm` file.
    pub path: Option<String>,
    /// Which export to plug in, when it differs from the import's name.
    pub export: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    spin_manifest_version: u32,
    application: RawApplication,
    #[serde(default)]
    variables: BTreeMap<String, Variable>,
    #[serde(default)]
    trigger: RawTriggers,
    #[serde(default)]
    component: BTreeMap<String, Component>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[expect(
    dead_code,
    reason = "read so that unknown fields are refused; the host needs only the name"
)]
struct RawApplication {
    name: String,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    authors: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawTriggers {
    #[serde(default)]
    http: Vec<HttpTrigger>,
}

impl App {
    /// Reads and validates `path`.
    ///
    /// # Errors
    /// Anything Spin would refuse to load.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let root = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        Self::from_str(&text, root)
    }

    /// Parses and validates manifest text whose sources are relative to `root`.
    ///
    /// # Errors
    /// Anything Spin would refuse to load.
    pub fn from_str(text: &str, root: PathBuf) -> Result<Self> {
        if !text.starts_with("#:schema ") {
            bail!("spin.toml should start with its `#:schema` line");
        }
        let raw: Raw = toml::from_str(text).context("spin.toml is not a valid manifest")?;
        if raw.spin_manifest_version != 2 {
            bail!("only spin_manifest_version = 2 is supported");
        }
        if raw.application.name.trim().is_empty() {
            bail!("application.name is empty");
        }
        let app = App {
            root,
            variables: raw.variables,
            http_triggers: raw.trigger.http,
            components: raw.component,
        };
        app.validate()?;
        Ok(app)
    }

    fn validate(&self) -> Result<()> {
        for (name, var) in &self.variables {
            check_variable_name(name)?;
            match (&var.default, var.required) {
                (Some(_), true) => {
                    bail!("variable `{name}`: `default` and `required` exclude each other")
                }
                (None, false) => bail!("variable `{name}` needs a default or required = true"),
                _ => {}
            }
        }
        let dependency_ids: Vec<&str> = self
            .components
            .values()
            .flat_map(|c| c.dependencies.values())
            .filter_map(|d| d.component.as_deref())
            .collect();
        for (id, component) in &self.components {
            for (name, template) in &component.variables {
                check_variable_name(name)?;
                for referenced in template_references(template)? {
                    if !self.variables.contains_key(&referenced) {
                        bail!("component `{id}` variable `{name}` uses undeclared variable `{referenced}`");
                    }
                }
            }
            for host in &component.allowed_outbound_hosts {
                for referenced in template_references(host)? {
                    if !self.variables.contains_key(&referenced) {
                        bail!("component `{id}` allowed_outbound_hosts uses undeclared variable `{referenced}`");
                    }
                }
            }
            if !component.files.is_empty() {
                bail!("component `{id}`: `files` is not supported by the test host");
            }
            for (name, dep) in &component.dependencies {
                match (&dep.component, &dep.path) {
                    (Some(other), None) => {
                        if !self.components.contains_key(other) {
                            bail!("component `{id}` dependency `{name}` names unknown component `{other}`");
                        }
                    }
                    (None, Some(_)) => {}
                    _ => bail!("component `{id}` dependency `{name}` needs exactly one of `component` or `path`"),
                }
            }
            if dependency_ids.contains(&id.as_str())
                && (!component.key_value_stores.is_empty()
                    || !component.allowed_outbound_hosts.is_empty()
                    || !component.variables.is_empty())
            {
                bail!("component `{id}` is a dependency: dependencies may not have their own resources or permissions");
            }
        }
        for trigger in &self.http_triggers {
            if !self.components.contains_key(&trigger.component) {
                bail!(
                    "trigger route `{}` names unknown component `{}`",
                    trigger.route,
                    trigger.component
                );
            }
            if !trigger.route.starts_with('/') {
                bail!("trigger route `{}` must start with `/`", trigger.route);
            }
            if trigger.executor.is_some() {
                bail!(
                    "trigger route `{}`: only the default executor is supported",
                    trigger.route
                );
            }
        }
        Ok(())
    }
}

fn check_variable_name(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        bail!("invalid variable name `{name}`: lower-case letters, digits and `_`, starting with a letter");
    }
    Ok(())
}

/// The variable names a `{{ name }}` template refers to.
///
/// # Errors
/// An unclosed `{{`.
pub fn template_references(template: &str) -> Result<Vec<String>> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            bail!("unclosed `{{{{` in template `{template}`");
        };
        names.push(after[..end].trim().to_owned());
        rest = &after[end + 2..];
    }
    Ok(names)
}

/// Expands `{{ name }}` in `template` with `lookup`.
///
/// # Errors
/// A name `lookup` cannot resolve.
pub fn expand(template: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .with_context(|| format!("unclosed `{{{{` in template `{template}`"))?;
        let name = after[..end].trim();
        out.push_str(&lookup(name).with_context(|| format!("variable `{name}` has no value"))?);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "#:schema x\nspin_manifest_version = 2\n[application]\nname = \"a\"\n";

    fn parse(extra: &str) -> Result<App> {
        App::from_str(&format!("{MINIMAL}{extra}"), PathBuf::from("."))
    }

    #[test]
    fn a_variable_needs_a_default_or_required() {
        assert!(parse("[variables]\nx = {}\n").is_err());
        assert!(parse("[variables]\nx = { default = \"\" }\n").is_ok());
        assert!(parse("[variables]\nx = { required = true, default = \"a\" }\n").is_err());
    }

    #[test]
    fn unknown_fields_are_refused_as_spin_does() {
        assert!(parse("[component.a]\nsource = \"a.wasm\"\nallowed_hosts = []\n").is_err());
    }

    #[test]
    fn a_template_must_name_a_declared_variable() {
        let text =
            "[component.a]\nsource = \"a.wasm\"\n[component.a.variables]\nx = \"{{ nope }}\"\n";
        assert!(parse(text).is_err());
    }

    #[test]
    fn a_dependency_may_not_have_permissions() {
        let text = "[component.a]\nsource = \"a.wasm\"\n[component.a.dependencies]\n\"x:y/z\" = { component = \"b\" }\n[component.b]\nsource = \"b.wasm\"\nkey_value_stores = [\"default\"]\n";
        let err = parse(text).unwrap_err().to_string();
        assert!(err.contains("may not have their own resources"), "{err}");
    }

    #[test]
    fn templates_expand_and_fail_on_unknown_names() {
        let lookup = |name: &str| (name == "host").then(|| "example.com".to_owned());
        assert_eq!(
            expand("https://{{ host }}/x", &lookup).unwrap(),
            "https://example.com/x"
        );
        assert!(expand("{{ other }}", &lookup).is_err());
    }
}
