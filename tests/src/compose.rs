//! Composition of a component with its `[component.<id>.dependencies]`, following Spin's
//! composer (`crates/compose/src/lib.rs`, Spin 4) step by step, with the same wac-graph
//! version: the main component is registered under its id; each dependency, in the
//! order of its parsed name, is matched against the imports, gets the deny adapter for
//! what it does not inherit ([`crate::deny`]) and is registered under its *package*
//! name (so two dependencies from one package fail as they fail on Spin); an import
//! matched by several dependencies is a conflict; each export is checked to be a
//! subtype of the import; the main component's exports are exported. Errors carry
//! Spin's messages.

use crate::deny::{self, Inherit};
use anyhow::Context;
use semver::Version;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use wac_graph::types::{Package, SubtypeChecker, WorldId};
use wac_graph::{CompositionGraph, NodeId};

/// A dependency's name in spin.toml, parsed as Spin parses it (`spin_serde`): a plain
/// kebab name (`my-dep`), or a package name with an optional interface and version
/// (`ns:pkg`, `ns:pkg/iface`, `ns:pkg@1.0.0`, `ns:pkg/iface@1.0.0`). The derived order
/// is Spin's: plain names first, then by package, version, interface.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum DependencyName {
    /// A plain name; it matches only an import of exactly that name.
    Plain(String),
    /// A package name.
    Package(PackageName),
}

/// The package form of a [`DependencyName`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PackageName {
    /// The namespace, before `:` (a kebab-case label).
    pub namespace: String,
    /// The package's name, after `:` (a kebab-case label).
    pub name: String,
    /// The version after `@`, if any.
    pub version: Option<Version>,
    /// The interface after `/`, if any.
    pub interface: Option<String>,
}

impl FromStr for DependencyName {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if !s.contains([':', '/']) {
            check_kebab_id(s).with_context(|| format!("invalid dependency name `{s}`"))?;
            return Ok(Self::Plain(s.to_owned()));
        }
        let (name, version) = match s.split_once('@') {
            Some((name, version)) => (
                name,
                Some(
                    version
                        .parse::<Version>()
                        .with_context(|| format!("invalid version in dependency name `{s}`"))?,
                ),
            ),
            None => (s, None),
        };
        let (package, interface) = match name.split_once('/') {
            Some((package, interface)) => {
                check_kebab_id(interface)
                    .with_context(|| format!("invalid interface in dependency name `{s}`"))?;
                (package, Some(interface.to_owned()))
            }
            None => (name, None),
        };
        let (namespace, package_name) = check_package_ref(package)
            .with_context(|| format!("invalid package in dependency name `{s}`"))?;
        Ok(Self::Package(PackageName {
            namespace: namespace.to_owned(),
            name: package_name.to_owned(),
            version,
            interface,
        }))
    }
}

impl fmt::Display for DependencyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Plain(name) => write!(f, "{name}"),
            Self::Package(name) => {
                write!(f, "{}:{}", name.namespace, name.name)?;
                if let Some(interface) = &name.interface {
                    write!(f, "/{interface}")?;
                }
                if let Some(version) = &name.version {
                    write!(f, "@{version}")?;
                }
                Ok(())
            }
        }
    }
}

impl DependencyName {
    /// The name Spin registers the dependency's package under in the composition graph.
    pub fn package_key(&self) -> String {
        match self {
            Self::Plain(name) => name.clone(),
            Self::Package(name) => format!("{}:{}", name.namespace, name.name),
        }
    }
}

/// Spin's `ComponentDependencies::validate` (`crates/manifest/src/schema/v2.rs`), run
/// when the manifest is loaded, for the dependency forms this host reads (`component`
/// and `path`): a package name without an interface may not name an `export`, and two
/// names of one package must differ in (semver-compatible) version or in interface.
/// `names` are in manifest order, each with whether it names an `export`; messages
/// are Spin's, down to its `Debug` rendering of the names.
///
/// # Errors
/// The first rule broken.
pub fn validate_dependency_names(names: &[(DependencyName, bool)]) -> anyhow::Result<()> {
    for (name, has_export) in names {
        if let DependencyName::Package(package) = name {
            anyhow::ensure!(
                package.interface.is_some() || !has_export,
                "using an export to satisfy the package dependency Package({}) is not \
                 currently permitted",
                package.spin_debug()
            );
        }
    }
    for (n, (this, _)) in names.iter().enumerate() {
        for (other, _) in &names[n + 1..] {
            let (DependencyName::Package(this), DependencyName::Package(other)) = (this, other)
            else {
                continue;
            };
            if (&this.namespace, &this.name) != (&other.namespace, &other.name) {
                continue;
            }
            let versions_differ = match (&this.version, &other.version) {
                (Some(a), Some(b)) => compatible(a) != compatible(b),
                _ => false,
            };
            let interfaces_differ = match (&this.interface, &other.interface) {
                (Some(a), Some(b)) => a != b,
                _ => false,
            };
            anyhow::ensure!(
                versions_differ || interfaces_differ,
                "{} dependency conflicts with {}",
                this.spin_debug(),
                other.spin_debug()
            );
        }
    }
    Ok(())
}

/// Spin's `normalize_compatible_version`: the part of a version semver compatibility
/// keeps (`1.2.3` → `1.0.0`, `0.2.3` → `0.2.0`; pre-releases as they are).
fn compatible(version: &Version) -> Version {
    let mut version = version.clone();
    version.build = semver::BuildMetadata::EMPTY;
    if version.pre != semver::Prerelease::EMPTY {
        return version;
    }
    if version.major > 0 {
        version.minor = 0;
        version.patch = 0;
    } else if version.minor > 0 {
        version.patch = 0;
    }
    version
}

impl PackageName {
    /// How Spin's errors show this name (the `Debug` of its `DependencyPackageName`).
    fn spin_debug(&self) -> String {
        let version = match &self.version {
            Some(version) => format!("Some({version:?})"),
            None => "None".to_owned(),
        };
        let interface = match &self.interface {
            Some(interface) => format!("Some(Id({interface:?}))"),
            None => "None".to_owned(),
        };
        format!(
            "DependencyPackageName {{ package: PackageRef {{ namespace: {:?}, name: {:?} }}, \
             version: {version}, interface: {interface} }}",
            self.namespace, self.name
        )
    }
}

/// Spin's `KebabId`: `-`-separated words of ASCII letters and digits, each starting with
/// a letter and all lower- or all upper-case.
fn check_kebab_id(id: &str) -> anyhow::Result<()> {
    anyhow::ensure!(!id.is_empty(), "empty");
    anyhow::ensure!(
        !id.contains('_'),
        "words must be separated with '-', not '_'"
    );
    for word in id.split('-') {
        let mut chars = word.chars();
        let Some(first) = chars.next() else {
            anyhow::bail!("'-'-separated words must not be empty");
        };
        anyhow::ensure!(
            first.is_ascii_alphabetic(),
            "'-'-separated words must start with an ASCII letter; got {first:?}"
        );
        let upper = first.is_ascii_uppercase();
        for ch in chars {
            anyhow::ensure!(
                ch.is_ascii_alphanumeric(),
                "'-'-separated words may only contain alphanumeric ASCII; got {ch:?}"
            );
            anyhow::ensure!(
                ch.is_ascii_digit() || ch.is_ascii_uppercase() == upper,
                "'-'-separated words must be all lowercase or all UPPERCASE; got {word:?}"
            );
        }
    }
    Ok(())
}

/// `wasm-pkg-common`'s `PackageRef`: `namespace:name`, both lower-case kebab labels.
fn check_package_ref(package: &str) -> anyhow::Result<(&str, &str)> {
    let Some((namespace, name)) = package.split_once(':') else {
        anyhow::bail!("missing expected ':'");
    };
    for label in [namespace, name] {
        anyhow::ensure!(!label.is_empty(), "labels may not be empty");
        for word in label.split('-') {
            let mut chars = word.chars();
            match chars.next() {
                None => anyhow::bail!("label words may not be empty"),
                Some(c) if !c.is_ascii_lowercase() => {
                    anyhow::bail!("label words must start with a lowercase letter")
                }
                _ => {}
            }
            anyhow::ensure!(
                chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()),
                "labels may only contain lowercase letters and digits"
            );
        }
    }
    Ok((namespace, name))
}

/// An import name as Spin's composer reads it.
enum ImportName {
    Plain(String),
    Package {
        package: String,
        interface: String,
        version: Option<Version>,
    },
}

impl FromStr for ImportName {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if !s.contains([':', '/']) {
            check_kebab_id(s)?;
            return Ok(Self::Plain(s.to_owned()));
        }
        let (package, rest) = s
            .split_once('/')
            .with_context(|| format!("invalid import name: {s}"))?;
        let (interface, version) = match rest.split_once('@') {
            Some((interface, version)) => (
                interface,
                Some(
                    Version::parse(version)
                        .with_context(|| format!("invalid version in import name: {s}"))?,
                ),
            ),
            None => (rest, None),
        };
        Ok(Self::Package {
            package: package.to_owned(),
            interface: interface.to_owned(),
            version,
        })
    }
}

/// Whether dependency `name` satisfies import `import`, by Spin's rules: plain names
/// must be equal; a package name matches every import of that package, narrowed by its
/// interface and version when it has them (so `ns:pkg` matches `ns:pkg/a` and
/// `ns:pkg/b@1.0.0`, and `ns:pkg/a@1.0.0` does not match an unversioned `ns:pkg/a`).
///
/// # Errors
/// An import name Spin cannot parse (Spin then fails the composition).
pub fn matches_import(name: &DependencyName, import: &str) -> anyhow::Result<bool> {
    Ok(match (name, import.parse::<ImportName>()?) {
        (DependencyName::Plain(name), ImportName::Plain(import)) => *name == import,
        (
            DependencyName::Package(name),
            ImportName::Package {
                package,
                interface,
                version,
            },
        ) => {
            package == format!("{}:{}", name.namespace, name.name)
                && name.interface.as_ref().is_none_or(|i| *i == interface)
                && name
                    .version
                    .as_ref()
                    .is_none_or(|v| Some(v) == version.as_ref())
        }
        _ => false,
    })
}

/// One dependency to compose.
pub struct Dependency {
    /// Its name in spin.toml.
    pub name: DependencyName,
    /// The `.wasm` bytes of the component that satisfies it.
    pub bytes: Vec<u8>,
    /// The export to plug, when it differs from the import's name.
    pub export: Option<String>,
    /// Which host capabilities it inherits from the importing component.
    pub inherit: Inherit,
}

/// Why a composition failed, with Spin's messages (`ComposeError` in Spin's composer).
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    /// A dependency name matches no import.
    #[error(
        "dependency '{dependency_name}' doesn't match any imports of component '{component_id}'"
    )]
    UnmatchedDependencyName {
        /// The importing component.
        component_id: String,
        /// The dependency.
        dependency_name: DependencyName,
    },
    /// Some imports are matched by more than one dependency.
    #[error("component '{component_id}' has dependency conflicts: {}", format_conflicts(.conflicts))]
    DependencyConflicts {
        /// The importing component.
        component_id: String,
        /// Each import with the dependencies that match it.
        conflicts: Vec<(String, Vec<DependencyName>)>,
    },
    /// A dependency does not export what the import needs.
    #[error(
        "dependency '{dependency_name}' doesn't export '{export_name}' to satisfy import '{import_name}'"
    )]
    MissingExport {
        /// The dependency.
        dependency_name: DependencyName,
        /// The export looked for.
        export_name: String,
        /// The import it should satisfy.
        import_name: String,
    },
    /// Building the composition graph failed (the cause says how).
    #[error("an error occurred when preparing dependencies")]
    PrepareError(#[source] anyhow::Error),
    /// Encoding the composed component failed.
    #[error("failed to encode composition graph: {0}")]
    EncodeError(#[source] anyhow::Error),
}

fn format_conflicts(conflicts: &[(String, Vec<DependencyName>)]) -> String {
    conflicts
        .iter()
        .map(|(import, names)| {
            let names: Vec<String> = names.iter().map(ToString::to_string).collect();
            format!(
                "import '{import}' satisfied by dependencies: '{}'",
                names.join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A dependency registered in the graph.
#[derive(Clone)]
struct Registered {
    name: DependencyName,
    instance: NodeId,
    world: WorldId,
    export: Option<String>,
}

/// Composes component `component_id` (`main`) with `dependencies`, as Spin does, and
/// returns the new component's bytes (`main` unchanged when there are none).
///
/// # Errors
/// Everything Spin refuses: a [`ComposeError`] with Spin's message (and its cause).
pub fn compose(
    component_id: &str,
    main: &[u8],
    dependencies: &[Dependency],
) -> anyhow::Result<Vec<u8>> {
    compose_spin(component_id, main, dependencies).map_err(|e| anyhow::Error::from(*e))
}

fn compose_spin(
    component_id: &str,
    main: &[u8],
    dependencies: &[Dependency],
) -> Result<Vec<u8>, Box<ComposeError>> {
    if dependencies.is_empty() {
        return Ok(main.to_vec());
    }
    let mut sorted: Vec<&Dependency> = dependencies.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));

    let mut graph = CompositionGraph::new();
    let (main_world, main_instance) =
        register(&mut graph, component_id, main.to_vec()).map_err(ComposeError::PrepareError)?;

    // Match every dependency against the imports, registering each as it matches.
    let imports: Vec<String> = graph.types()[main_world].imports.keys().cloned().collect();
    let mut mappings: BTreeMap<String, Vec<Registered>> = BTreeMap::new();
    for dependency in sorted {
        let mut matched = Vec::new();
        for import in &imports {
            if matches_import(&dependency.name, import).map_err(ComposeError::PrepareError)? {
                matched.push(import.clone());
            }
        }
        if matched.is_empty() {
            return Err(ComposeError::UnmatchedDependencyName {
                component_id: component_id.to_owned(),
                dependency_name: dependency.name.clone(),
            }
            .into());
        }
        let bytes = deny::apply_deny_adapter(&dependency.bytes, &dependency.inherit)
            .map_err(ComposeError::PrepareError)?;
        let (world, instance) = register(&mut graph, &dependency.name.package_key(), bytes)
            .map_err(ComposeError::PrepareError)?;
        let registered = Registered {
            name: dependency.name.clone(),
            instance,
            world,
            export: dependency.export.clone(),
        };
        for import in matched {
            mappings.entry(import).or_default().push(registered.clone());
        }
    }
    let (conflicts, prepared): (Vec<_>, Vec<_>) =
        mappings.into_iter().partition(|(_, found)| found.len() > 1);
    if !conflicts.is_empty() {
        return Err(ComposeError::DependencyConflicts {
            component_id: component_id.to_owned(),
            conflicts: conflicts
                .into_iter()
                .map(|(import, found)| (import, found.into_iter().map(|r| r.name).collect()))
                .collect(),
        }
        .into());
    }

    // Plug each export into its import, checking the types as Spin does.
    let mut cache = Default::default();
    let mut checker = SubtypeChecker::new(&mut cache);
    let mut arguments = Vec::new();
    for (import, found) in prepared {
        let Some(dependency) = found.into_iter().next() else {
            continue;
        };
        let export = dependency.export.clone().unwrap_or_else(|| import.clone());
        let Some(export_ty) = graph.types()[dependency.world]
            .exports
            .get(&export)
            .copied()
        else {
            return Err(ComposeError::MissingExport {
                dependency_name: dependency.name,
                export_name: export,
                import_name: import,
            }
            .into());
        };
        let Some(import_ty) = graph.types()[main_world].imports.get(&import).copied() else {
            continue;
        };
        checker
            .is_subtype(export_ty, graph.types(), import_ty, graph.types())
            .with_context(|| {
                format!(
                    "dependency '{}' exports '{export}' which is not compatible with import '{import}'",
                    dependency.name
                )
            })
            .map_err(ComposeError::PrepareError)?;
        let item = graph
            .alias_instance_export(dependency.instance, &export)
            .map_err(|e| ComposeError::PrepareError(e.into()))?;
        arguments.push((import, item));
    }
    for (import, item) in arguments {
        graph
            .set_instantiation_argument(main_instance, &import, item)
            .map_err(|e| ComposeError::PrepareError(e.into()))?;
    }

    // Export everything the main component exports.
    let exports: Vec<String> = graph.types()[main_world].exports.keys().cloned().collect();
    for export in exports {
        let item = graph
            .alias_instance_export(main_instance, &export)
            .map_err(|e| ComposeError::PrepareError(e.into()))?;
        graph
            .export(item, &export)
            .map_err(|e| ComposeError::PrepareError(e.into()))?;
    }
    graph
        .encode(Default::default())
        .map_err(|e| ComposeError::EncodeError(e.into()).into())
}

/// Registers a package under `name` and instantiates it.
fn register(
    graph: &mut CompositionGraph,
    name: &str,
    bytes: Vec<u8>,
) -> anyhow::Result<(WorldId, NodeId)> {
    let package = Package::from_bytes(name, None, bytes, graph.types_mut())?;
    let world = package.ty();
    let id = graph.register_package(package)?;
    Ok((world, graph.instantiate(id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> DependencyName {
        s.parse().unwrap()
    }

    #[test]
    fn names_match_imports_by_spins_rules() {
        for (dependency, imports) in [
            ("foo:bar/baz@0.1.0", vec!["foo:bar/baz@0.1.0"]),
            ("foo:bar/baz", vec!["foo:bar/baz@0.1.0", "foo:bar/baz"]),
            ("foo:bar", vec!["foo:bar/baz@0.1.0", "foo:bar/baz"]),
            ("foo:bar@0.1.0", vec!["foo:bar/baz@0.1.0"]),
            ("foo-bar", vec!["foo-bar"]),
        ] {
            for import in imports {
                assert!(
                    matches_import(&name(dependency), import).unwrap(),
                    "{dependency} should match {import}"
                );
            }
        }
        for (dependency, imports) in [
            ("foo:bar/baz@0.1.0", vec!["foo:bar/baz"]),
            ("foo:bar/baz", vec!["foo:bar/bub", "foo:bar/bub@0.1.0"]),
            ("foo:bar", vec!["foo:bub/bib"]),
            ("foo:bar@0.1.0", vec!["foo:bar/baz"]),
            ("foo:bar/baz", vec!["foo:bar/baz-bub", "foo-bar"]),
        ] {
            for import in imports {
                assert!(
                    !matches_import(&name(dependency), import).unwrap(),
                    "{dependency} should not match {import}"
                );
            }
        }
    }

    #[test]
    fn a_dependency_registers_under_its_package_name() {
        assert_eq!(
            name("kaltura-discord:config/config@0.1.0").package_key(),
            "kaltura-discord:config"
        );
        assert_eq!(name("my-dep").package_key(), "my-dep");
    }

    #[test]
    fn names_that_spin_refuses_are_refused() {
        for bad in [
            "Foo:bar",
            "foo:bar/Baz_qux",
            "foo:bar@one",
            "foo_bar",
            "foo:",
            "9lives",
        ] {
            assert!(bad.parse::<DependencyName>().is_err(), "{bad}");
        }
    }

    #[test]
    fn names_round_trip_and_sort_plain_first() {
        let mut names = [
            name("b:c/d@1.0.0"),
            name("a:z"),
            name("zed"),
            name("a:z/y"),
            name("a-b:z"),
        ];
        names.sort();
        let shown: Vec<String> = names.iter().map(ToString::to_string).collect();
        // By namespace label, then name, as Spin's `PackageRef` orders: `a` < `a-b`.
        assert_eq!(shown, ["zed", "a:z", "a:z/y", "a-b:z", "b:c/d@1.0.0"]);
    }

    #[test]
    fn two_names_of_one_package_conflict_unless_version_or_interface_tells_them_apart() {
        let check = |names: &[&str]| {
            let names: Vec<(DependencyName, bool)> =
                names.iter().map(|n| (name(n), false)).collect();
            validate_dependency_names(&names)
        };
        let err = check(&["a:b", "a:b/c"]).unwrap_err().to_string();
        assert_eq!(
            err,
            "DependencyPackageName { package: PackageRef { namespace: \"a\", name: \"b\" }, \
             version: None, interface: None } dependency conflicts with DependencyPackageName \
             { package: PackageRef { namespace: \"a\", name: \"b\" }, version: None, \
             interface: Some(Id(\"c\")) }"
        );
        assert!(check(&["a:b/c", "a:b/d"]).is_ok());
        assert!(check(&["a:b@1.0.0", "a:b@2.0.0"]).is_ok());
        assert!(
            check(&["a:b@1.0.0", "a:b@1.2.0"]).is_err(),
            "semver-compatible"
        );
        assert!(check(&["a:b@0.1.0", "a:b@0.2.0"]).is_ok());
        assert!(check(&["a:b/c", "x:b/c", "plain"]).is_ok());
    }

    #[test]
    fn a_package_name_without_an_interface_may_not_name_an_export() {
        let err = validate_dependency_names(&[(name("a:b@0.1.0"), true)])
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("using an export to satisfy the package dependency Package(DependencyPackageName { package: PackageRef { namespace: \"a\", name: \"b\" }, version: Some(Version { major: 0, minor: 1, patch: 0 }), interface: None })"),
            "{err}"
        );
        assert!(validate_dependency_names(&[(name("a:b/c"), true)]).is_ok());
    }
}
