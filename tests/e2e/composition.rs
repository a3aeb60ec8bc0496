//! Composition as Spin composes (`crates/compose`, `crates/capabilities`): the app
//! starts only if Spin would compose it, with Spin's errors otherwise, and a dependency
//! gets exactly the host capabilities it inherits — the rest answered by the deny
//! adapter, never reaching the host.

use e2e::compose::{self, Dependency, DependencyName};
use e2e::deny::Inherit;
use std::path::Path;

/// The repository's spin.toml.
fn manifest() -> String {
    std::fs::read_to_string(e2e::repo_root().join("spin.toml")).unwrap()
}

/// spin.toml with `extra` added to the discord-bot's dependencies.
fn with_bot_dependency(extra: &str) -> String {
    let manifest = manifest();
    let section = "[component.discord-bot.dependencies]\n";
    assert!(manifest.contains(section));
    manifest.replacen(section, &format!("{section}{extra}\n"), 1)
}

/// The whole error chain of a start that must fail.
async fn start_error(manifest: String) -> String {
    match e2e::app().manifest_text(manifest).start().await {
        Ok(_) => panic!("the app should not start"),
        Err(err) => format!("{err:#}"),
    }
}

/// A component importing `imports` (functions `answer: func() -> u32`), or exporting
/// `exports` with that function; written in the component model's text format.
fn component(imports: &[&str], exports: &[&str]) -> Vec<u8> {
    let mut wat = String::from("(component\n");
    for name in imports {
        wat.push_str(&format!(
            "  (import \"{name}\" (instance (export \"answer\" (func (result u32)))))\n"
        ));
    }
    if !exports.is_empty() {
        wat.push_str(
            "  (core module $m (func (export \"answer\") (result i32) i32.const 42))\n\
               (core instance $i (instantiate $m))\n\
               (func $answer (result u32) (canon lift (core func $i \"answer\")))\n\
               (instance $api (export \"answer\" (func $answer)))\n",
        );
        for name in exports {
            wat.push_str(&format!("  (export \"{name}\" (instance $api))\n"));
        }
    }
    wat.push_str(")\n");
    wat::parse_str(&wat).unwrap()
}

/// A scratch app whose `main` imports both interfaces of `kd-test:services`, each
/// satisfied by its own library component: the shape this app had before it gave each
/// library interface its own package.
fn old_shape_app(dir: &Path) -> String {
    let write = |name: &str, bytes: Vec<u8>| std::fs::write(dir.join(name), bytes).unwrap();
    write(
        "main.wasm",
        component(
            &["kd-test:services/config", "kd-test:services/identity"],
            &[],
        ),
    );
    write("config.wasm", component(&[], &["kd-test:services/config"]));
    write(
        "identity.wasm",
        component(&[], &["kd-test:services/identity"]),
    );
    "#:schema https://schemas.spinframework.dev/v2/manifest.json
spin_manifest_version = 2
[application]
name = \"old-shape\"
[[trigger.http]]
route = \"/...\"
component = \"main\"
[component.main]
source = \"main.wasm\"
dependencies_inherit_configuration = true
[component.main.dependencies]
\"kd-test:services/config\" = { component = \"config\" }
\"kd-test:services/identity\" = { component = \"identity\" }
[component.config]
source = \"config.wasm\"
[component.identity]
source = \"identity.wasm\"
"
    .to_owned()
}

#[tokio::test]
async fn two_dependencies_from_one_package_fail_as_on_spin() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = old_shape_app(dir.path());
    std::fs::write(dir.path().join("spin.toml"), &manifest).unwrap();
    let err = match e2e::AppBuilder::new(dir.path().join("spin.toml"))
        .start()
        .await
    {
        Ok(_) => panic!("Spin refuses this app"),
        Err(err) => format!("{err:#}"),
    };
    assert!(
        err.contains("an error occurred when preparing dependencies"),
        "{err}"
    );
    assert!(
        err.contains("package `kd-test:services` has already been registered in the graph"),
        "{err}"
    );
}

#[test]
fn one_package_level_dependency_satisfies_every_interface_of_its_package() {
    e2e::host_only!("calls the test host's composer directly");
    let main = component(
        &["kd-test:services/config", "kd-test:services/identity"],
        &[],
    );
    let both = component(
        &[],
        &["kd-test:services/config", "kd-test:services/identity"],
    );
    let dependency = Dependency {
        name: "kd-test:services".parse::<DependencyName>().unwrap(),
        bytes: both,
        export: None,
        inherit: Inherit::All,
    };
    let composed = compose::compose("main", &main, &[dependency]).unwrap();
    // Nothing of the package is left to import.
    let mut graph = wac_graph::CompositionGraph::new();
    let package =
        wac_graph::types::Package::from_bytes("c", None, composed, graph.types_mut()).unwrap();
    assert!(graph.types()[package.ty()].imports.is_empty());
}

#[tokio::test]
async fn a_dependency_that_matches_no_import_is_refused_with_spins_message() {
    let err = start_error(with_bot_dependency(
        "\"kaltura-discord:nothing/here\" = { component = \"config\" }",
    ))
    .await;
    assert!(
        err.contains(
            "dependency 'kaltura-discord:nothing/here' doesn't match any imports of component 'discord-bot'"
        ),
        "{err}"
    );
}

#[tokio::test]
async fn a_second_dependency_for_one_import_is_refused_when_the_manifest_loads() {
    // Two names of one package that neither version nor interface tell apart: Spin's
    // manifest validation refuses them before anything is composed (checked with
    // `spin up`).
    let err = start_error(with_bot_dependency(
        "\"kaltura-discord:config\" = { component = \"config\" }",
    ))
    .await;
    assert!(
        err.contains("component Id(\"discord-bot\") has invalid dependencies"),
        "{err}"
    );
    assert!(
        err.contains(
            "DependencyPackageName { package: PackageRef { namespace: \"kaltura-discord\", name: \"config\" }, version: None, interface: None } dependency conflicts with DependencyPackageName { package: PackageRef { namespace: \"kaltura-discord\", name: \"config\" }, version: None, interface: Some(Id(\"config\")) }"
        ),
        "{err}"
    );
}

#[tokio::test]
async fn an_export_the_dependency_does_not_have_is_refused_with_spins_message() {
    let manifest = manifest().replacen(
        "\"kaltura-discord:config/config\" = { component = \"config\" }",
        "\"kaltura-discord:config/config\" = { component = \"config\", export = \"kaltura-discord:config/nope@0.1.0\" }",
        1,
    );
    let err = start_error(manifest).await;
    assert!(
        err.contains(
            "dependency 'kaltura-discord:config/config' doesn't export 'kaltura-discord:config/nope@0.1.0' to satisfy import 'kaltura-discord:config/config@0.1.0'"
        ),
        "{err}"
    );
}

#[tokio::test]
async fn an_export_of_another_type_is_refused_with_spins_message() {
    let manifest = manifest().replacen(
        "\"kaltura-discord:config/config\" = { component = \"config\" }",
        "\"kaltura-discord:config/config\" = { component = \"identity\", export = \"kaltura-discord:identity/members@0.1.0\" }",
        1,
    );
    let err = start_error(manifest).await;
    assert!(
        err.contains("an error occurred when preparing dependencies"),
        "{err}"
    );
    assert!(
        err.contains("dependency 'kaltura-discord:config/config' exports 'kaltura-discord:identity/members@0.1.0' which is not compatible with import 'kaltura-discord:config/config@0.1.0'"),
        "{err}"
    );
}

#[tokio::test]
async fn without_inheritance_the_libraries_do_not_compose_as_on_spin() {
    // The deny adapter replaces `wasi:keyvalue/store` (and so its `bucket`) but not
    // `wasi:keyvalue/atomics`, which still names the host's `bucket`: Spin's encoder
    // refuses the result. (Checked against Spin's own adapter: see
    // `deny::tests::crosscheck_our_adapter_plugs_what_spins_plugs`.)
    let manifest = manifest().replacen("dependencies_inherit_configuration = true\n", "", 1);
    let err = start_error(manifest).await;
    assert!(
        err.contains("an error occurred when preparing dependencies"),
        "{err}"
    );
    assert!(err.contains("wasi:keyvalue/atomics"), "{err}");
}

#[tokio::test]
async fn with_inheritance_the_app_composes_and_starts() {
    assert!(e2e::app().start().await.is_ok());
}

/// Calls `func` of interface `interface` exported by the deny adapter, instantiated on
/// its own with the host's interfaces.
async fn adapter_call(
    interface: &str,
    func: &str,
    params: &[wasmtime::component::Val],
) -> wasmtime::component::Val {
    use wasmtime::component::{Component, Val};
    let host = e2e::app().library("config", "gateway").unwrap();
    let mut store = host.new_store();
    let adapter = Component::new(
        host.component().engine(),
        e2e::deny_adapter::bytes().unwrap(),
    )
    .unwrap();
    let instance = host
        .linker()
        .instantiate_async(&mut store, &adapter)
        .await
        .unwrap();
    let exported = instance
        .get_export_index(&mut store, None, interface)
        .unwrap();
    let index = instance
        .get_export_index(&mut store, Some(&exported), func)
        .unwrap();
    let func = instance.get_func(&mut store, index).unwrap();
    let mut results = [Val::Bool(false)];
    func.call_async(&mut store, params, &mut results)
        .await
        .unwrap();
    results[0].clone()
}

#[tokio::test]
async fn the_deny_adapter_answers_as_spins_does() {
    e2e::host_only!("calls the test host's deny adapter on its own");
    use wasmtime::component::Val;
    let err = |payload: Val| Val::Result(Err(Some(Box::new(payload))));
    assert_eq!(
        adapter_call(
            "fermyon:spin/variables@2.0.0",
            "get",
            &[Val::String("kaltura_partner_id".into())]
        )
        .await,
        err(Val::Variant(
            "undefined".into(),
            Some(Box::new(Val::String("kaltura_partner_id".into())))
        ))
    );
    assert_eq!(
        adapter_call(
            "fermyon:spin/key-value@2.0.0",
            "[static]store.open",
            &[Val::String("default".into())]
        )
        .await,
        err(Val::Variant("access-denied".into(), None))
    );
    assert_eq!(
        adapter_call(
            "wasi:keyvalue/store@0.2.0-draft2",
            "open",
            &[Val::String("default".into())]
        )
        .await,
        err(Val::Variant("access-denied".into(), None))
    );
    assert_eq!(
        adapter_call("wasi:cli/environment@0.2.6", "get-environment", &[]).await,
        Val::List(vec![])
    );
    assert_eq!(
        adapter_call("wasi:cli/environment@0.2.6", "initial-cwd", &[]).await,
        Val::Option(None)
    );
    assert_eq!(
        adapter_call(
            "wasi:sockets/tcp-create-socket@0.2.6",
            "create-tcp-socket",
            &[Val::Enum("ipv4".into())]
        )
        .await,
        err(Val::Enum("access-denied".into()))
    );
}
