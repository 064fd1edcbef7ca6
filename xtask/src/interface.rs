//! The main module's interface with its JS glue, made smaller. wasm-bindgen names each import
//! after the JS it calls plus a hash (`__wbg_getItem_3b8e7c04f1a2d9e6`) and each closure export
//! after its Rust types (up to 250 characters), and writes every name twice, in the module and in
//! the glue; it also writes JS classes for a dependency that nothing here uses (wasm-streams',
//! pulled in by Leptos's server functions), whose exports the shipped build's linker leaves out
//! (`xtask/link-shipped`: exported, they kept 6.5 KB of code and table entries alive). Run
//! between wasm-bindgen and wasm-opt: names become `a`, `b`, …, and those classes go.

use std::collections::HashMap;

use wasm_encoder::{EntityType, ExportKind, ExportSection, ImportSection, Module, RawSection};
use wasmparser::{ExternalKind, Parser, Payload};

/// wasm-streams' classes (Leptos's server functions stream through them; no page here does).
const UNUSED_CLASSES: [&str; 3] = ["IntoUnderlyingByteSource", "IntoUnderlyingSink", "IntoUnderlyingSource"];

/// The import module of the functions the glue provides, once renamed.
const GLUE_MODULE: &str = "w";

/// The `n`th short name: `a` … `z`, `ba`, `bb`, …
fn short_name(mut n: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(char::from(b'a' + (n % 26) as u8));
        n /= 26;
        if n == 0 {
            return letters.iter().rev().collect();
        }
    }
}

/// Whether an export belongs to one of `UNUSED_CLASSES` (`intounderlyingsink_write`,
/// `__wbg_intounderlyingsink_free`).
fn of_unused_class(export: &str) -> bool {
    UNUSED_CLASSES.iter().map(|class| class.to_lowercase()).any(|class| {
        export.strip_prefix(&class).is_some_and(|rest| rest.starts_with('_')) || export == format!("__wbg_{class}_free")
    })
}

/// `text` without the part from `start` up to and including `end` (both must be there).
fn cut(text: &str, start: &str, end: &str) -> Result<String, String> {
    let from = text.find(start).ok_or_else(|| format!("the glue has no `{start}`"))?;
    let to =
        text[from..].find(end).ok_or_else(|| format!("the glue has no `{end}` after `{start}`"))? + from + end.len();
    Ok(format!("{}{}", &text[..from], &text[to..]))
}

/// The glue without `UNUSED_CLASSES` (each class, its `Symbol.dispose` line, its finalizer).
fn without_unused_classes(glue: &str) -> Result<String, String> {
    let mut glue = glue.to_owned();
    for class in UNUSED_CLASSES {
        let dispose = format!("if (Symbol.dispose) {class}.prototype[Symbol.dispose] = {class}.prototype.free;\n");
        glue = cut(&glue, &format!("export class {class} {{"), &dispose)?;
        glue = cut(&glue, &format!("const {class}Finalization = "), ";\n")?;
        if glue.contains(class) || glue.contains(&class.to_lowercase()) {
            return Err(format!("the glue still uses {class}"));
        }
    }
    Ok(glue)
}

/// Whether `c` may be part of a JS identifier.
fn in_identifier(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}

/// `glue` with each identifier of `renames` replaced where `theirs` (given the text before and
/// after it) says it is one of the module's names; every name must be replaced, or (`optional`)
/// appear nowhere.
fn renamed(
    glue: &str,
    renames: &HashMap<String, String>,
    optional: bool,
    theirs: impl Fn(&str, &str) -> bool,
) -> Result<String, String> {
    let (mut out, mut rest) = (String::with_capacity(glue.len()), glue);
    let (mut replaced, mut elsewhere) = (Vec::new(), Vec::new());
    while let Some(start) = rest.find(in_identifier) {
        let end = rest[start..].find(|c| !in_identifier(c)).map_or(rest.len(), |length| start + length);
        let (word, after) = (&rest[start..end], &rest[end..]);
        out.push_str(&rest[..start]);
        match renames.get(word) {
            Some(short) if theirs(&out, after) => {
                out.push_str(short);
                replaced.push(word);
            }
            Some(_) => {
                out.push_str(word);
                elsewhere.push(word);
            }
            None => out.push_str(word),
        }
        rest = after;
    }
    out.push_str(rest);
    let missing = renames.keys().filter(|name| !replaced.contains(&name.as_str()));
    let missing: Vec<&String> = missing.filter(|name| !optional || elsewhere.contains(&name.as_str())).collect();
    if missing.is_empty() {
        Ok(out)
    } else {
        Err(format!("the glue does not use these names as expected: {missing:?}"))
    }
}

/// The main module and its glue with short names, without the unused classes. `module` is the
/// glue's own import module (`./<name>_bg.js`).
pub fn slim(wasm: &[u8], glue: &str, module: &str) -> Result<(Vec<u8>, String), String> {
    let error = |e: wasmparser::BinaryReaderError| format!("reading the main module: {e}");
    let mut out = Module::new();
    let (mut imports, mut exports) = (HashMap::new(), HashMap::new());
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(error)? {
            Payload::ImportSection(reader) => {
                let mut section = ImportSection::new();
                for import in reader.into_imports() {
                    let import = import.map_err(error)?;
                    let ty = EntityType::try_from(import.ty).map_err(|e| format!("an import's type: {e:?}"))?;
                    if import.module == module {
                        let short = short_name(imports.len());
                        section.import(GLUE_MODULE, &short, ty);
                        imports.insert(import.name.to_owned(), short);
                    } else {
                        section.import(import.module, import.name, ty);
                    }
                }
                out.section(&section);
            }
            Payload::ExportSection(reader) => {
                let mut section = ExportSection::new();
                for export in reader {
                    let export = export.map_err(error)?;
                    if of_unused_class(export.name) {
                        return Err(format!("the linker kept {}: is xtask/link-shipped in use?", export.name));
                    }
                    // The split modules' loader reads the memory, table and global by name.
                    let name = if export.kind == ExternalKind::Func {
                        let short = format!("_{}", short_name(exports.len()));
                        exports.insert(export.name.to_owned(), short.clone());
                        short
                    } else {
                        export.name.to_owned()
                    };
                    section.export(&name, ExportKind::from(export.kind), export.index);
                }
                out.section(&section);
            }
            payload => {
                if let Some((id, range)) = payload.as_section() {
                    let data = wasm.get(range.start as usize..range.end as usize).ok_or("a section out of range")?;
                    out.section(&RawSection { id, data });
                }
            }
        }
    }
    let glue = without_unused_classes(glue)?;
    let key = format!("\"{module}\":");
    if glue.matches(&key).count() != 1 {
        return Err(format!("the glue names its import module {key} other than once"));
    }
    let glue = glue.replace(&key, &format!("\"{GLUE_MODULE}\":"));
    let glue = renamed(&glue, &imports, false, |_, after| after.starts_with(':'))?;
    // Exports the glue does not read (`main`, called by `__wbindgen_start`) are renamed all the same.
    let glue = renamed(&glue, &exports, true, |before, _| before.ends_with("wasm."))?;
    Ok((out.finish(), glue))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_encoder::{CodeSection, Function, FunctionSection, Instruction, MemorySection, MemoryType, TypeSection};

    /// A module importing `log` from the glue's module, exporting `long` (calling it) and its
    /// memory.
    fn module(log: &str, long: &str) -> Vec<u8> {
        let mut module = Module::new();
        let mut types = TypeSection::new();
        types.ty().function([], []);
        module.section(&types);
        let mut imports = ImportSection::new();
        imports.import("./app_bg.js", log, EntityType::Function(0));
        imports.import("./__wasm_split.js", "__wasm_split_load_page", EntityType::Function(0));
        module.section(&imports);
        let mut functions = FunctionSection::new();
        functions.function(0);
        module.section(&functions);
        let mut memories = MemorySection::new();
        memories.memory(MemoryType { minimum: 1, maximum: None, memory64: false, shared: false, page_size_log2: None });
        module.section(&memories);
        let mut exports = ExportSection::new();
        exports.export(long, ExportKind::Func, 2);
        exports.export("memory", ExportKind::Memory, 0);
        module.section(&exports);
        let mut code = CodeSection::new();
        let mut body = Function::new([]);
        body.instruction(&Instruction::Call(0)).instruction(&Instruction::End);
        code.function(&body);
        module.section(&code);
        module.finish()
    }

    fn glue(log: &str, long: &str) -> String {
        let classes: String = UNUSED_CLASSES
            .iter()
            .map(|class| {
                format!(
                    "export class {class} {{\n    free() {{ wasm.__wbg_{lower}_free(this.__wbg_ptr, 0); }}\n}}\n\
                     if (Symbol.dispose) {class}.prototype[Symbol.dispose] = {class}.prototype.free;\n\
                     const {class}Finalization = (typeof FinalizationRegistry === 'undefined')\n    ? {{}}\n    : \
                     new FinalizationRegistry(ptr => wasm.__wbg_{lower}_free(ptr, 1));\n",
                    lower = class.to_lowercase()
                )
            })
            .collect();
        format!(
            "{classes}function imports() {{\n    const import0 = {{ {log}: function() {{ console.log(1); }} }};\n    \
             return {{ \"./app_bg.js\": import0, \"./__wasm_split.js\": import1 }};\n}}\n\
             function start() {{ wasm.{long}(); wasm.memory.buffer; }}\n"
        )
    }

    fn names(wasm: &[u8]) -> (Vec<(String, String)>, Vec<String>) {
        let (mut imports, mut exports) = (Vec::new(), Vec::new());
        for payload in Parser::new(0).parse_all(wasm) {
            match payload.unwrap() {
                Payload::ImportSection(reader) => {
                    for import in reader.into_imports() {
                        let import = import.unwrap();
                        imports.push((import.module.to_owned(), import.name.to_owned()));
                    }
                }
                Payload::ExportSection(reader) => {
                    exports.extend(reader.into_iter().map(|e| e.unwrap().name.to_owned()))
                }
                _ => {}
            }
        }
        (imports, exports)
    }

    #[test]
    fn short_names_count_in_letters() {
        assert_eq!([0, 1, 25, 26, 675, 676].map(short_name), ["a", "b", "z", "ba", "zz", "baa"]);
    }

    #[test]
    fn the_streams_classes_exports_are_theirs_and_no_others() {
        assert!(of_unused_class("intounderlyingsink_write") && of_unused_class("__wbg_intounderlyingsource_free"));
        assert!(!of_unused_class("intounderlyingsinkwrite") && !of_unused_class("__wbindgen_malloc"));
    }

    #[test]
    fn names_shrink_in_both_files_and_the_unused_classes_go() {
        let (log, long) =
            ("__wbg_log_0123456789abcdef", "wasm_bindgen_f1d7___convert__closures_____invoke_______true_");
        let (wasm, glue) = slim(&module(log, long), &glue(log, long), "./app_bg.js").unwrap();
        let (imports, exports) = names(&wasm);
        assert_eq!(imports, [("w".into(), "a".into()), ("./__wasm_split.js".into(), "__wasm_split_load_page".into())]);
        assert_eq!(exports, ["_a", "memory"]);
        assert!(glue.contains("const import0 = { a: function()") && glue.contains("\"w\": import0"));
        assert!(glue.contains("wasm._a();") && glue.contains("wasm.memory.buffer"));
        assert!(!glue.contains("IntoUnderlying") && !glue.contains(log) && !glue.contains(long), "{glue}");
        wasmparser::validate(&wasm).unwrap();
    }

    #[test]
    fn a_module_that_still_exports_an_unused_class_is_refused() {
        let (log, long) = ("__wbg_log_0123456789abcdef", "intounderlyingsink_write");
        assert!(slim(&module(log, long), &glue(log, long), "./app_bg.js").unwrap_err().contains(long));
    }

    #[test]
    fn a_glue_that_uses_a_name_elsewhere_is_refused() {
        let (log, long) = ("__wbg_log_0123456789abcdef", "closure_invoke");
        let odd = glue(log, long).replace(&format!("wasm.{long}()"), &format!("exports[\"{long}\"]()"));
        assert!(slim(&module(log, long), &odd, "./app_bg.js").unwrap_err().contains(long));
        let missing = glue(log, long).replace("export class IntoUnderlyingSink {", "class Other {");
        assert!(slim(&module(log, long), &missing, "./app_bg.js").is_err());
    }
}
