//! The deny adapter, plugged as Spin plugs it (`crates/capabilities/src/{lib,deny}.rs`):
//! for each interface the adapter exports that the dependency does not inherit, the
//! dependency's import of the same name — or else the first semver-compatible one — is
//! satisfied by the adapter when its export is a subtype; when nothing is plugged the
//! dependency is returned unchanged. The capability sets are Spin's. The adapter itself
//! is [`crate::deny_adapter`].

use crate::deny_adapter;
use wac_graph::types::{are_semver_compatible, Package, SubtypeChecker};
use wac_graph::CompositionGraph;

/// Which host capabilities a dependency inherits from the component that imports it:
/// spin.toml's `dependencies_inherit_configuration = true` (or a dependency's
/// `inherit_configuration = true`) is `All`; `false`, absent or a list is `Some`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inherit {
    /// Every capability.
    All,
    /// Only these capability sets (Spin ignores names it does not know).
    Some(Vec<String>),
}

/// Spin's capability sets: a name in `inherit_configuration` and the host interfaces it
/// lets through.
const CAPABILITY_SETS: &[(&str, &[&str])] = &[
    ("ai_models", &["fermyon:spin/llm", "fermyon:spin/llm@2.0.0"]),
    (
        "allowed_outbound_hosts",
        &[
            "fermyon:spin/http",
            "fermyon:spin/mysql",
            "fermyon:spin/postgres",
            "fermyon:spin/redis",
            "fermyon:spin/mqtt@2.0.0",
            "fermyon:spin/mysql@2.0.0",
            "fermyon:spin/postgres@2.0.0",
            "fermyon:spin/redis@2.0.0",
            "spin:mqtt/mqtt@3.0.0",
            "spin:mysql/mysql@3.0.0",
            "spin:postgres/postgres@3.0.0",
            "spin:postgres/postgres@4.2.0",
            "spin:redis/redis@3.0.0",
            "wasi:http/client@0.3.0",
            "wasi:http/client@0.3.0-rc-2026-03-15",
            "wasi:http/outgoing-handler@0.2.6",
            "wasi:sockets/ip-name-lookup@0.2.6",
            "wasi:sockets/ip-name-lookup@0.3.0",
            "wasi:sockets/ip-name-lookup@0.3.0-rc-2026-03-15",
            "wasi:sockets/tcp-create-socket@0.2.6",
            "wasi:sockets/tcp@0.2.6",
            "wasi:sockets/udp-create-socket@0.2.6",
            "wasi:sockets/udp@0.2.6",
        ],
    ),
    (
        "environment",
        &[
            "wasi:cli/environment@0.2.6",
            "wasi:cli/environment@0.3.0",
            "wasi:cli/environment@0.3.0-rc-2026-03-15",
        ],
    ),
    (
        "files",
        &[
            "wasi:filesystem/preopens@0.2.6",
            "wasi:filesystem/preopens@0.3.0",
            "wasi:filesystem/preopens@0.3.0-rc-2026-03-15",
        ],
    ),
    (
        "key_value_stores",
        &[
            "fermyon:spin/key-value",
            "fermyon:spin/key-value@2.0.0",
            "spin:key-value/key-value@3.0.0",
            "wasi:keyvalue/store@0.2.0-draft2",
        ],
    ),
    (
        "sqlite_databases",
        &[
            "fermyon:spin/sqlite",
            "fermyon:spin/sqlite@2.0.0",
            "spin:sqlite/sqlite@3.1.0",
        ],
    ),
    (
        "variables",
        &[
            "fermyon:spin/config",
            "fermyon:spin/variables@2.0.0",
            "spin:variables/variables@3.0.0",
            "wasi:config/store@0.2.0-draft-2024-09-27",
        ],
    ),
];

/// The interfaces `inherit` lets through to the host.
fn allow_list(inherit: &Inherit) -> Vec<&'static str> {
    CAPABILITY_SETS
        .iter()
        .filter(|(set, _)| match inherit {
            Inherit::All => true,
            Inherit::Some(names) => names.iter().any(|name| name == set),
        })
        .flat_map(|(_, interfaces)| interfaces.iter().copied())
        .collect()
}

/// `source` with the deny adapter plugged into every import `inherit` does not let
/// through, or `source` itself when there is none.
///
/// # Errors
/// `source` is not a component, or the composition does not encode or validate (as
/// with Spin, this fails the app's start).
pub fn apply_deny_adapter(source: &[u8], inherit: &Inherit) -> anyhow::Result<Vec<u8>> {
    apply(source, inherit, deny_adapter::bytes()?).map(|(bytes, _)| bytes)
}

/// Which adapter export was plugged into which import.
type Plugs = Vec<(String, String)>;

/// [`apply_deny_adapter`] with the adapter `adapter` (a cross-check can pass Spin's),
/// also returning which adapter export went to which import.
fn apply(source: &[u8], inherit: &Inherit, adapter: &[u8]) -> anyhow::Result<(Vec<u8>, Plugs)> {
    let allow = allow_list(inherit);
    let mut graph = CompositionGraph::new();
    let dependency = Package::from_bytes("dependency", None, source.to_vec(), graph.types_mut())?;
    let dependency_id = graph.register_package(dependency)?;
    let adapter = Package::from_bytes(
        "spin-deny-all-adapter",
        None,
        adapter.to_vec(),
        graph.types_mut(),
    )?;
    let adapter_id = graph.register_package(adapter)?;
    let socket = graph.instantiate(dependency_id);

    let mut plugs: Vec<(String, String)> = Vec::new();
    let mut cache = Default::default();
    let mut checker = SubtypeChecker::new(&mut cache);
    let imports = &graph.types()[graph[dependency_id].ty()].imports;
    for (name, plug_ty) in &graph.types()[graph[adapter_id].ty()].exports {
        if allow.contains(&name.as_str()) {
            continue;
        }
        let matching = imports.get(name).map(|ty| (name.clone(), ty)).or_else(|| {
            imports
                .iter()
                .find(|(import, _)| are_semver_compatible(name, import))
                .map(|(import, ty)| (import.clone(), ty))
        });
        if let Some((import, socket_ty)) = matching {
            if checker
                .is_subtype(*plug_ty, graph.types(), *socket_ty, graph.types())
                .is_ok()
            {
                plugs.push((name.clone(), import));
            }
        }
    }
    if plugs.is_empty() {
        return Ok((source.to_vec(), plugs));
    }

    let plug = graph.instantiate(adapter_id);
    for (export, import) in &plugs {
        let item = graph.alias_instance_export(plug, export)?;
        graph.set_instantiation_argument(socket, import, item)?;
    }
    let exports: Vec<String> = graph.types()[graph[dependency_id].ty()]
        .exports
        .keys()
        .cloned()
        .collect();
    for name in exports {
        let item = graph.alias_instance_export(socket, &name)?;
        graph.export(item, &name)?;
    }
    Ok((graph.encode(Default::default())?, plugs))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cross-check against Spin's own bundled adapter, when its path is given in
    /// `SPIN_DENY_ADAPTER` (it is not part of this repository): with both adapters, the
    /// same imports of each component are plugged, or both compositions fail.
    #[test]
    #[ignore = "needs SPIN_DENY_ADAPTER=<spin checkout>/crates/capabilities/deny_adapter.wasm"]
    fn crosscheck_our_adapter_plugs_what_spins_plugs() {
        let spin = std::fs::read(std::env::var("SPIN_DENY_ADAPTER").unwrap()).unwrap();
        let ours = deny_adapter::bytes().unwrap();
        for component in [
            "config",
            "identity",
            "kaltura",
            "events",
            "gateway",
            "discord_bot",
        ] {
            let path =
                crate::repo_root().join(format!("target/wasm32-wasip2/release/{component}.wasm"));
            let source = std::fs::read(path).unwrap();
            let plugged = |adapter: &[u8], inherit: &Inherit| {
                apply(&source, inherit, adapter).map(|(_, plugs)| plugs)
            };
            for inherit in [
                Inherit::Some(vec![]),
                Inherit::Some(vec!["key_value_stores".into()]),
                Inherit::Some(vec!["key_value_stores".into(), "variables".into()]),
                Inherit::All,
            ] {
                let spins = plugged(&spin, &inherit);
                let ours = plugged(ours, &inherit);
                match (&spins, &ours) {
                    (Ok(spins), Ok(ours)) => assert_eq!(spins, ours, "{component} {inherit:?}"),
                    (Err(_), Err(_)) => {}
                    _ => panic!("{component} {inherit:?}: Spin's {spins:?}, ours {ours:?}"),
                }
                eprintln!(
                    "{component} {inherit:?}: {}",
                    match &ours {
                        Ok(plugged) => format!("plugs {plugged:?}"),
                        Err(err) => format!("fails: {err:#}"),
                    }
                );
            }
        }
    }

    #[test]
    fn inheriting_everything_allows_every_set_and_nothing_allows_none() {
        let all = allow_list(&Inherit::All);
        assert!(all.contains(&"wasi:http/outgoing-handler@0.2.6"));
        assert!(all.contains(&"fermyon:spin/key-value@2.0.0"));
        assert!(allow_list(&Inherit::Some(vec![])).is_empty());
    }

    #[test]
    fn a_named_set_allows_only_its_interfaces_and_unknown_names_are_ignored() {
        let some = allow_list(&Inherit::Some(vec![
            "key_value_stores".into(),
            "no_such_set".into(),
        ]));
        assert!(some.contains(&"wasi:keyvalue/store@0.2.0-draft2"));
        assert!(!some.contains(&"fermyon:spin/variables@2.0.0"));
        assert!(!some.contains(&"wasi:http/outgoing-handler@0.2.6"));
    }
}
