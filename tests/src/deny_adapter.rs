//! The deny-all adapter component, generated from `tests/deny-wit` instead of Spin's
//! bundled binary. It exports, under Spin's names and versions, the host interfaces
//! this test host provides. Their entry points answer exactly as Spin's adapter
//! (`crates/capabilities/deny-adapter/src/lib.rs`) answers: stores and buckets
//! `access-denied`, a variable `undefined(<name>)`, outbound HTTP
//! `internal-error("\"wasi:http/outgoing-handler\" is not permitted")`, sockets
//! `access-denied`, an empty environment, arguments and preopens, no working directory.
//! Everything else (methods of resources no one can obtain) traps with `unreachable`,
//! as Spin's does. The core module is written here as WAT, one function per export, with
//! the result laid out by the canonical ABI's sizes (wit-parser's `SizeAlign`); then
//! wit-component wraps it into a component.

use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::OnceLock;
use wit_component::{ComponentEncoder, StringEncoding};
use wit_parser::abi::{AbiVariant, FlatTypes, WasmType};
use wit_parser::{
    Function, Handle, Int, LiftLowerAbi, ManglingAndAbi, Resolve, ResourceIntrinsic, SizeAlign,
    Type, TypeDefKind, TypeId, TypeOwner, WasmExport, WasmExportKind, WasmImport, WorldItem,
    WorldKey,
};

/// The bytes of the adapter component, built once per process.
///
/// # Errors
/// The WIT under `tests/wit` or `tests/deny-wit` does not parse, or the module does not
/// encode as a component (a bug here, reported at app start).
pub fn bytes() -> Result<&'static [u8]> {
    static ADAPTER: OnceLock<std::result::Result<Vec<u8>, String>> = OnceLock::new();
    ADAPTER
        .get_or_init(|| build().map_err(|e| format!("{e:#}")))
        .as_deref()
        .map_err(|e| anyhow::anyhow!("building the deny adapter: {e}"))
}

/// A value the adapter returns, described against the function's result type.
enum Value {
    /// `err(...)` of a `result`.
    Err(Box<Value>),
    /// The variant or enum case of this name, with its payload.
    Case(&'static str, Option<Box<Value>>),
    /// `some(...)` of an `option`.
    Some(Box<Value>),
    /// `none` of an `option`.
    None,
    /// An empty `list`.
    EmptyList,
    /// A string at a fixed place in the adapter's memory.
    Text(&'static str),
    /// The string passed as the parameter whose flat pointer is at this index.
    ParamString(u32),
}

/// How Spin's adapter answers each entry point; every other export traps.
fn answers() -> BTreeMap<(String, String), Value> {
    use Value::*;
    let denied = || Err(Box::new(Case("access-denied", Option::None)));
    let answers = [
        (
            ("wasi:http/outgoing-handler@0.2.6", "handle"),
            Err(Box::new(Case(
                "internal-error",
                Option::Some(Box::new(Some(Box::new(Text(
                    "\"wasi:http/outgoing-handler\" is not permitted",
                ))))),
            ))),
        ),
        (("wasi:cli/environment@0.2.6", "get-environment"), EmptyList),
        (("wasi:cli/environment@0.2.6", "get-arguments"), EmptyList),
        (("wasi:cli/environment@0.2.6", "initial-cwd"), None),
        (
            ("wasi:filesystem/preopens@0.2.6", "get-directories"),
            EmptyList,
        ),
        (
            ("wasi:sockets/udp-create-socket@0.2.6", "create-udp-socket"),
            denied(),
        ),
        (
            ("wasi:sockets/tcp-create-socket@0.2.6", "create-tcp-socket"),
            denied(),
        ),
        (
            ("wasi:sockets/ip-name-lookup@0.2.6", "resolve-addresses"),
            denied(),
        ),
        (
            ("fermyon:spin/key-value@2.0.0", "[static]store.open"),
            denied(),
        ),
        (
            ("fermyon:spin/variables@2.0.0", "get"),
            Err(Box::new(Case(
                "undefined",
                Option::Some(Box::new(ParamString(0))),
            ))),
        ),
        (("wasi:keyvalue/store@0.2.0-draft2", "open"), denied()),
    ];
    answers
        .into_iter()
        .map(|((interface, func), value)| ((interface.to_owned(), func.to_owned()), value))
        .collect()
}

/// Where the adapter keeps its return area, its strings and its heap.
const RETURN_AREA: usize = 64;
const TEXT_AREA: usize = 256;
const HEAP_START: usize = 4096;

const MANGLING: ManglingAndAbi = ManglingAndAbi::Legacy(LiftLowerAbi::Sync);

fn build() -> Result<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut resolve = Resolve::default();
    resolve
        .push_dir(root.join("wit"))
        .context("parsing tests/wit")?;
    let (package, _) = resolve
        .push_dir(root.join("deny-wit"))
        .context("parsing tests/deny-wit")?;
    let world = resolve.select_world(&[package], Some("adapter"))?;
    let mut module = wat::parse_str(core_module(&resolve, world)?)?;
    wit_component::embed_component_metadata(&mut module, &resolve, world, StringEncoding::UTF8)?;
    ComponentEncoder::default()
        .validate(true)
        .module(&module)?
        .encode()
}

/// The WAT of the core module behind the adapter.
fn core_module(resolve: &Resolve, world: wit_parser::WorldId) -> Result<String> {
    let mut sizes = SizeAlign::default();
    sizes.fill(resolve);
    let mut writer = Writer {
        resolve,
        sizes,
        imports: BTreeMap::new(),
        texts: Vec::new(),
        text_end: TEXT_AREA,
    };
    let mut answers = answers();
    let mut funcs = String::new();
    for (key, item) in &resolve.worlds[world].exports {
        let WorldItem::Interface { id, .. } = item else {
            continue;
        };
        let interface = resolve
            .id_of(*id)
            .context("the adapter exports an unnamed interface")?;
        for func in resolve.interfaces[*id].functions.values() {
            let answer = answers.remove(&(interface.clone(), func.name.clone()));
            funcs.push_str(&writer.function(key, func, answer.as_ref())?);
        }
    }
    if let Some(((interface, func), _)) = answers.into_iter().next() {
        bail!("the adapter has an answer for {interface} {func}, which it does not export");
    }

    let mut wat = String::from("(module\n");
    for ((module, name), symbol) in &writer.imports {
        writeln!(
            wat,
            "  (import {module:?} {name:?} (func ${symbol} (param i32)))"
        )?;
    }
    let memory = resolve.wasm_export_name(MANGLING, WasmExport::Memory);
    let realloc = resolve.wasm_export_name(MANGLING, WasmExport::Realloc);
    writeln!(wat, "  (memory (export {memory:?}) 1)")?;
    writeln!(wat, "  (global $heap (mut i32) (i32.const {HEAP_START}))")?;
    for (address, text) in &writer.texts {
        writeln!(wat, "  (data (i32.const {address}) {text:?})")?;
    }
    // A bump allocator: the canonical ABI calls it to pass strings and lists in.
    writeln!(
        wat,
        "  (func (export {realloc:?}) (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get $align))))
    (global.set $heap (i32.add (local.get $ptr) (local.get $size)))
    (if (i32.gt_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536)))
      (then (if (i32.eq (memory.grow (i32.add (i32.shr_u (i32.sub (global.get $heap) (i32.mul (memory.size) (i32.const 65536))) (i32.const 16)) (i32.const 1))) (i32.const -1))
        (then unreachable))))
    (if (local.get $old)
      (then (memory.copy (local.get $ptr) (local.get $old)
        (select (local.get $old_size) (local.get $size) (i32.lt_u (local.get $old_size) (local.get $size))))))
    (local.get $ptr))"
    )?;
    wat.push_str(&funcs);
    wat.push_str(")\n");
    Ok(wat)
}

/// Writes the adapter's functions and remembers the imports and strings they need.
struct Writer<'a> {
    resolve: &'a Resolve,
    sizes: SizeAlign,
    /// `(module, name)` of each resource-drop import → its symbol.
    imports: BTreeMap<(String, String), String>,
    /// Strings placed in memory: (address, text).
    texts: Vec<(usize, String)>,
    text_end: usize,
}

impl Writer<'_> {
    /// One exported function: drops the handles it was given, then writes `answer` into
    /// the return area and returns it, or traps when there is no answer.
    fn function(
        &mut self,
        key: &WorldKey,
        func: &Function,
        answer: Option<&Value>,
    ) -> Result<String> {
        let sig = self.resolve.wasm_signature(AbiVariant::GuestExport, func);
        let name = self.resolve.wasm_export_name(
            MANGLING,
            WasmExport::Func {
                interface: Some(key),
                func,
                kind: WasmExportKind::Normal,
            },
        );
        let mut out = format!("  (func (export {name:?})");
        for param in &sig.params {
            write!(out, " (param {})", wasm_type(*param))?;
        }
        for result in &sig.results {
            write!(out, " (result {})", wasm_type(*result))?;
        }
        out.push('\n');
        match answer {
            None => out.push_str("    unreachable"),
            Some(answer) => {
                if !sig.retptr || sig.indirect_params {
                    bail!(
                        "{}: the adapter only answers through a return area",
                        func.name
                    );
                }
                let result = func
                    .result
                    .as_ref()
                    .with_context(|| format!("{} has no result", func.name))?;
                out.push_str(&self.drop_handles(func)?);
                let mut stores = Vec::new();
                self.write(result, answer, RETURN_AREA, &mut stores)?;
                for store in stores {
                    writeln!(out, "    {store}")?;
                }
                write!(out, "    (i32.const {RETURN_AREA})")?;
            }
        }
        out.push_str(")\n");
        Ok(out)
    }

    /// Drops every owned or borrowed handle parameter, as the bindings of Spin's adapter
    /// drop them when the function returns.
    fn drop_handles(&mut self, func: &Function) -> Result<String> {
        let mut out = String::new();
        let mut index = 0u32;
        for param in &func.params {
            let flat = self.flat_count(&param.ty);
            if let Some(resource) = self.handle(&param.ty) {
                let symbol = self.drop_import(resource)?;
                writeln!(out, "    (call ${symbol} (local.get {index}))")?;
            } else if let Some(inner) = self.option_of(&param.ty) {
                if let Some(resource) = self.handle(&inner) {
                    let symbol = self.drop_import(resource)?;
                    writeln!(
                        out,
                        "    (if (local.get {index}) (then (call ${symbol} (local.get {}))))",
                        index + 1
                    )?;
                }
            }
            index += flat;
        }
        Ok(out)
    }

    fn flat_count(&self, ty: &Type) -> u32 {
        let mut storage = [WasmType::I32; Resolve::MAX_FLAT_PARAMS + 1];
        let mut flat = FlatTypes::new(&mut storage);
        self.resolve.push_flat(ty, &mut flat);
        u32::try_from(flat.to_vec().len()).unwrap_or(u32::MAX)
    }

    /// The resource an `own` or `borrow` handle type refers to.
    fn handle(&self, ty: &Type) -> Option<TypeId> {
        match &self.resolve.types[self.alias_target(ty)?].kind {
            TypeDefKind::Handle(Handle::Own(id) | Handle::Borrow(id)) => {
                self.alias_target(&Type::Id(*id))
            }
            _ => None,
        }
    }

    fn option_of(&self, ty: &Type) -> Option<Type> {
        match &self.resolve.types[self.alias_target(ty)?].kind {
            TypeDefKind::Option(inner) => Some(*inner),
            _ => None,
        }
    }

    /// The type definition behind `use`d aliases.
    fn alias_target(&self, ty: &Type) -> Option<TypeId> {
        let Type::Id(mut id) = ty else {
            return None;
        };
        while let TypeDefKind::Type(Type::Id(next)) = &self.resolve.types[id].kind {
            id = *next;
        }
        Some(id)
    }

    /// The `[resource-drop]` import for `resource`, declared once.
    fn drop_import(&mut self, resource: TypeId) -> Result<String> {
        let TypeOwner::Interface(owner) = self.resolve.types[resource].owner else {
            bail!("a resource outside an interface");
        };
        let key = WorldKey::Interface(owner);
        let (module, name) = self.resolve.wasm_import_name(
            MANGLING,
            WasmImport::ResourceIntrinsic {
                interface: Some(&key),
                resource,
                intrinsic: ResourceIntrinsic::ImportedDrop,
            },
        );
        let next = format!("drop{}", self.imports.len());
        Ok(self.imports.entry((module, name)).or_insert(next).clone())
    }

    /// Appends the stores that lay `value` out as a `ty` at `offset`.
    fn write(
        &mut self,
        ty: &Type,
        value: &Value,
        offset: usize,
        out: &mut Vec<String>,
    ) -> Result<()> {
        let id = self.alias_target(ty).map(|id| &self.resolve.types[id].kind);
        match (id, value) {
            (Some(TypeDefKind::Result(result)), Value::Err(inner)) => {
                out.push(store_tag(Int::U8, offset, 1));
                let payload = self
                    .sizes
                    .payload_offset(Int::U8, [result.ok.as_ref(), result.err.as_ref()])
                    .size_wasm32();
                let err = result
                    .err
                    .as_ref()
                    .context("err() of a result without error type")?;
                self.write(err, inner, offset + payload, out)
            }
            (Some(TypeDefKind::Variant(variant)), Value::Case(name, payload)) => {
                let index = variant
                    .cases
                    .iter()
                    .position(|case| case.name == *name)
                    .with_context(|| format!("no case `{name}`"))?;
                out.push(store_tag(variant.tag(), offset, index));
                if let (Some(payload), Some(ty)) = (payload, variant.cases[index].ty.as_ref()) {
                    let at = self
                        .sizes
                        .payload_offset(variant.tag(), variant.cases.iter().map(|c| c.ty.as_ref()))
                        .size_wasm32();
                    self.write(ty, payload, offset + at, out)?;
                }
                Ok(())
            }
            (Some(TypeDefKind::Enum(enumeration)), Value::Case(name, None)) => {
                let index = enumeration
                    .cases
                    .iter()
                    .position(|case| case.name == *name)
                    .with_context(|| format!("no case `{name}`"))?;
                out.push(store_tag(enumeration.tag(), offset, index));
                Ok(())
            }
            (Some(TypeDefKind::Option(_)), Value::None) => {
                out.push(store_tag(Int::U8, offset, 0));
                Ok(())
            }
            (Some(TypeDefKind::Option(inner)), Value::Some(value)) => {
                out.push(store_tag(Int::U8, offset, 1));
                let at = self
                    .sizes
                    .payload_offset(Int::U8, [Some(inner)])
                    .size_wasm32();
                self.write(inner, value, offset + at, out)
            }
            (Some(TypeDefKind::List(element)), Value::EmptyList) => {
                let align = self.sizes.align(element).align_wasm32();
                out.push(store_i32(offset, &format!("(i32.const {align})")));
                out.push(store_i32(offset + 4, "(i32.const 0)"));
                Ok(())
            }
            (None, Value::Text(text)) if *ty == Type::String => {
                let address = self.text_end;
                self.text_end += text.len();
                self.texts.push((address, (*text).to_owned()));
                out.push(store_i32(offset, &format!("(i32.const {address})")));
                out.push(store_i32(
                    offset + 4,
                    &format!("(i32.const {})", text.len()),
                ));
                Ok(())
            }
            (None, Value::ParamString(index)) if *ty == Type::String => {
                out.push(store_i32(offset, &format!("(local.get {index})")));
                out.push(store_i32(offset + 4, &format!("(local.get {})", index + 1)));
                Ok(())
            }
            _ => bail!("the adapter cannot write this value as this type"),
        }
    }
}

fn store_tag(tag: Int, offset: usize, value: usize) -> String {
    let op = match tag {
        Int::U8 => "i32.store8",
        Int::U16 => "i32.store16",
        Int::U32 | Int::U64 => "i32.store",
    };
    format!("({op} (i32.const {offset}) (i32.const {value}))")
}

fn store_i32(offset: usize, value: &str) -> String {
    format!("(i32.store (i32.const {offset}) {value})")
}

fn wasm_type(ty: WasmType) -> &'static str {
    match ty {
        WasmType::I64 => "i64",
        WasmType::F32 => "f32",
        WasmType::F64 => "f64",
        // Pointers, lengths and pointer-or-int slots are i32 on wasm32.
        _ => "i32",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_adapter_builds_and_exports_spins_interface_names() {
        let bytes = bytes().unwrap();
        let mut graph = wac_graph::CompositionGraph::new();
        let package = wac_graph::types::Package::from_bytes(
            "adapter",
            None,
            bytes.to_vec(),
            graph.types_mut(),
        )
        .unwrap();
        let exports: Vec<&String> = graph.types()[package.ty()].exports.keys().collect();
        for name in [
            "wasi:http/outgoing-handler@0.2.6",
            "fermyon:spin/key-value@2.0.0",
            "fermyon:spin/variables@2.0.0",
            "wasi:keyvalue/store@0.2.0-draft2",
            "wasi:cli/environment@0.2.6",
        ] {
            assert!(exports.iter().any(|e| *e == name), "{name} in {exports:?}");
        }
    }
}
