//! spin.toml, read the way Spin reads it (manifest v2): unknown fields are errors,
//! variables need a default or `required = true`, templates must name declared
//! variables, and a component used as a dependency may not hold permissions of its own.

use crate::compose::{self, DependencyName};
use crate::deny::Inherit;
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
    /// Whether every dependency inherits this component's capabilities (`true`), or
    /// none does (`false` or absent, unless a dependency says otherwise).
    pub dependencies_inherit_configuration: Option<bool>,
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
    /// What this dependency inherits from the importing component (Spin 4).
    pub inherit_configuration: Option<InheritConfiguration>,
}

/// A dependency's `inherit_configuration`: `true`/`false`, or the capability sets it
/// inherits (`["key_value_stores", "variables"]`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum InheritConfiguration {
    /// Everything or nothing.
    All(bool),
    /// Only these capability sets.
    Some(Vec<String>),
}

impl Component {
    /// What dependency `dependency` inherits, resolved as Spin resolves it: the
    /// component-level `true` gives every dependency everything; otherwise the
    /// dependency's own `inherit_configuration` (absent or `false`: nothing).
    pub fn inherit(&self, dependency: &Dependency) -> Inherit {
        if self.dependencies_inherit_configuration == Some(true) {
            return Inherit::All;
        }
        match &dependency.inherit_configuration {
            Some(InheritConfiguration::All(true)) => Inherit::All,
            Some(InheritConfiguration::Some(sets)) => Inherit::Some(sets.clone()),
            Some(InheritConfiguration::All(false)) | None => Inherit::Some(Vec::new()),
        }
    }
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
            if component.dependencies_inherit_configuration.is_some()
                && component
                    .dependencies
                    .values()
                    .any(|dep| dep.inherit_configuration.is_some())
            {
                bail!(
                    "Component `{id}` specifies both `dependencies_inherit_configuration` \
                     and per-dependency `inherit_configuration`. These are mutually exclusive; \
                     use one or the other."
                );
            }
            for (name, dep) in &component.dependencies {
                name.parse::<DependencyName>()
                    .with_context(|| format!("component `{id}`: dependency `{name}`"))?;
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
            for (depender, other) in &self.components {
                let depends = other
                    .dependencies
                    .values()
                    .any(|d| d.component.as_deref() == Some(id.as_str()));
                let surprises = component.resources_and_permissions();
                if depends && !surprises.is_empty() {
                    bail!(
                        "Dependencies may not have their own resources or permissions. Component {id} cannot be used as a dependency of {depender} because it specifies: {}",
                        surprises.join(", ")
                    );
                }
            }
        }
        // Spin validates the dependency names after normalising the whole manifest.
        for (id, component) in &self.components {
            let mut names = Vec::new();
            for (name, dep) in &component.dependencies {
                names.push((name.parse::<DependencyName>()?, dep.export.is_some()));
            }
            compose::validate_dependency_names(&names)
                .with_context(|| format!("component Id({id:?}) has invalid dependencies"))?;
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

impl Component {
    /// What Spin refuses in a component used as a dependency, in Spin's order.
    fn resources_and_permissions(&self) -> Vec<&'static str> {
        [
            (
                "allowed_outbound_hosts",
                self.allowed_outbound_hosts.is_empty(),
            ),
            ("dependencies", self.dependencies.is_empty()),
            ("environment", self.environment.is_empty()),
            ("files", self.files.is_empty()),
            ("key_value_stores", self.key_value_stores.is_empty()),
            ("variables", self.variables.is_empty()),
        ]
        .into_iter()
        .filter(|(_, empty)| !empty)
        .map(|(name, _)| name)
        .collect()
    }
}

fn check_variable_name(name: &str) -> Result<()> {
    if let Some(reason) = invalid_key(name) {
        bail!("invalid variable name {name:?}: {reason}");
    }
    Ok(())
}

/// Why `key` is not a valid variable name by Spin's rules
/// (`spin_expressions::Key::validate`), or `None` when it is.
pub fn invalid_key(key: &str) -> Option<String> {
    let (Some(first), Some(last)) = (key.bytes().next(), key.bytes().last()) else {
        return Some("must not be empty".to_owned());
    };
    if let Some(invalid) = key
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_'))
    {
        Some(format!("invalid character {invalid:?}. Variable names may contain only lower-case letters, numbers, and underscores."))
    } else if !first.is_ascii_lowercase() {
        Some("must start with a lowercase ASCII letter".to_owned())
    } else if !last.is_ascii_alphanumeric() {
        Some("must end with a lowercase ASCII letter or digit".to_owned())
    } else if key.contains("__") {
        Some("must not contain multiple consecutive underscores".to_owned())
    } else {
        None
    }
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
    fn variable_names_follow_spins_key_rules() {
        assert!(invalid_key("kaltura_partner_id").is_none());
        for bad in [
            "",
            "Upper",
            "1st",
            "trailing_",
            "two__underscores",
            "dash-ed",
        ] {
            assert!(invalid_key(bad).is_some(), "{bad}");
        }
        assert!(parse("[variables]\nx_ = { default = \"\" }\n").is_err());
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
        assert!(
            err.contains("Dependencies may not have their own resources or permissions. Component b cannot be used as a dependency of a because it specifies: key_value_stores"),
            "{err}"
        );
    }

    #[test]
    fn component_and_dependency_inheritance_exclude_each_other() {
        let text = "[component.a]\nsource = \"a.wasm\"\ndependencies_inherit_configuration = true\n[component.a.dependencies]\n\"x:y/z\" = { component = \"b\", inherit_configuration = [\"variables\"] }\n[component.b]\nsource = \"b.wasm\"\n";
        let err = parse(text).unwrap_err().to_string();
        assert!(err.contains("mutually exclusive"), "{err}");
    }

    #[test]
    fn inheritance_resolves_as_spin_resolves_it() {
        let text = "[component.a]\nsource = \"a.wasm\"\n[component.a.dependencies]\n\"x:y/z\" = { component = \"b\", inherit_configuration = [\"variables\"] }\n\"x:y/w\" = { component = \"b\" }\n\"x:v/w\" = { component = \"b\", inherit_configuration = true }\n[component.b]\nsource = \"b.wasm\"\n";
        let app = parse(text).unwrap();
        let a = &app.components["a"];
        assert_eq!(
            a.inherit(&a.dependencies["x:y/z"]),
            Inherit::Some(vec!["variables".into()])
        );
        assert_eq!(a.inherit(&a.dependencies["x:y/w"]), Inherit::Some(vec![]));
        assert_eq!(a.inherit(&a.dependencies["x:v/w"]), Inherit::All);
    }

    #[test]
    fn a_dependency_name_spin_cannot_parse_is_refused() {
        let text = "[component.a]\nsource = \"a.wasm\"\n[component.a.dependencies]\n\"X:y/z\" = { component = \"b\" }\n[component.b]\nsource = \"b.wasm\"\n";
        assert!(parse(text).is_err());
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
