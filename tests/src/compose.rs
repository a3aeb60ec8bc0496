//! Composition of a component with its `[component.<id>.dependencies]`, as Spin does it
//! (Spin uses `wac-graph` too): each dependency is instantiated, its export plugged into
//! the importing component's matching import, and everything still unsatisfied — the
//! host interfaces the dependency uses, as with `dependencies_inherit_configuration` —
//! becomes an import of the composed component.

use anyhow::{anyhow, bail, Context, Result};
use wac_graph::types::Package;
use wac_graph::{CompositionGraph, EncodeOptions};

/// One dependency to plug in.
pub struct Plug<'a> {
    /// The dependency's name in spin.toml, e.g. `kaltura-discord:config/config`,
    /// optionally with `@version`.
    pub name: &'a str,
    /// The `.wasm` bytes of the component that satisfies it.
    pub bytes: &'a [u8],
    /// The export to plug, when it differs from the import's name.
    pub export: Option<&'a str>,
}

/// Whether import `import` (e.g. `a:b/c@0.1.0`) is what dependency `name` refers to:
/// the same name, or the same name without a version when `name` has none.
pub fn import_matches(name: &str, import: &str) -> bool {
    if name == import {
        return true;
    }
    !name.contains('@') && import.split_once('@').is_some_and(|(base, _)| base == name)
}

/// Composes `main` with `plugs` and returns the new component's bytes.
///
/// # Errors
/// A dependency name no import matches, a dependency that does not export what is
/// needed, or types that do not line up.
pub fn compose(main: &[u8], plugs: &[Plug<'_>]) -> Result<Vec<u8>> {
    if plugs.is_empty() {
        return Ok(main.to_vec());
    }
    let mut graph = CompositionGraph::new();
    let main_package = Package::from_bytes("app:main", None, main.to_vec(), graph.types_mut())
        .context("the main component is not a component")?;
    let main_world = main_package.ty();
    let main_id = graph.register_package(main_package)?;
    let main_instance = graph.instantiate(main_id);
    let main_imports: Vec<String> = graph.types()[main_world].imports.keys().cloned().collect();

    for (index, plug) in plugs.iter().enumerate() {
        let import = main_imports
            .iter()
            .find(|import| import_matches(plug.name, import))
            .with_context(|| {
                format!(
                    "no import of the component matches dependency `{}`",
                    plug.name
                )
            })?
            .clone();
        let package = Package::from_bytes(
            &format!("app:dependency{index}"),
            None,
            plug.bytes.to_vec(),
            graph.types_mut(),
        )
        .with_context(|| format!("dependency `{}` is not a component", plug.name))?;
        let exports: Vec<String> = graph.types()[package.ty()]
            .exports
            .keys()
            .cloned()
            .collect();
        let export = match plug.export {
            Some(export) => export.to_owned(),
            None => exports
                .iter()
                .find(|export| import_matches(plug.name, export))
                .cloned()
                .unwrap_or_else(|| import.clone()),
        };
        if !exports.contains(&export) {
            bail!(
                "dependency `{}` does not export `{export}` (it exports: {})",
                plug.name,
                exports.join(", ")
            );
        }
        let package_id = graph.register_package(package)?;
        let instance = graph.instantiate(package_id);
        let item = graph
            .alias_instance_export(instance, &export)
            .map_err(|e| anyhow!("dependency `{}`: {e}", plug.name))?;
        graph
            .set_instantiation_argument(main_instance, &import, item)
            .map_err(|e| anyhow!("plugging `{}` into `{import}`: {e}", plug.name))?;
    }

    let main_exports: Vec<String> = graph.types()[main_world].exports.keys().cloned().collect();
    for export in main_exports {
        let item = graph
            .alias_instance_export(main_instance, &export)
            .map_err(|e| anyhow!("main export `{export}`: {e}"))?;
        graph
            .export(item, &export)
            .map_err(|e| anyhow!("exporting `{export}`: {e}"))?;
    }
    graph
        .encode(EncodeOptions::default())
        .context("encoding the composed component")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unversioned_name_matches_any_version_of_the_import() {
        assert!(import_matches("a:b/c", "a:b/c@0.1.0"));
        assert!(import_matches("a:b/c@0.1.0", "a:b/c@0.1.0"));
        assert!(!import_matches("a:b/c@0.2.0", "a:b/c@0.1.0"));
        assert!(!import_matches("a:b/cd", "a:b/c@0.1.0"));
    }
}
