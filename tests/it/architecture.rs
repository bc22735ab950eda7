//! The module tree has layers: no import cycle between sibling modules anywhere in `src/`.
//!
//! Every `crate::`, `super::` and `self::` path in every file (uses, types, calls, macros'
//! arguments aside) is resolved to the module it names. A reference from module `a::x` to
//! `a::y::z` is an edge `x -> y` between the siblings `x` and `y` of `a`; a module using its
//! own ancestors or descendants makes no edge. The siblings of each module must form a DAG.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

type Module = Vec<String>;

/// Every module of `src/` (from its files and inline `mod` blocks) and the paths each names.
#[derive(Default)]
struct Crate {
    modules: BTreeSet<Module>,
    references: Vec<(Module, Module)>,
    /// What the crate root re-exports (`pub use client::TargetClient;`), by name: a module
    /// using `crate::TargetClient` uses `client`.
    root_names: BTreeMap<String, Module>,
}

fn module_of(src: &Path, file: &Path) -> Module {
    let relative = file.strip_prefix(src).expect("a file of src/");
    let mut parts: Module = relative
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a readable folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Walks one file, keeping track of the inline module it is in.
struct Walker<'a> {
    krate: &'a mut Crate,
    current: Module,
}

impl Walker<'_> {
    /// The absolute path `segments` names from the current module, if it starts at the crate.
    fn resolve(&self, segments: &[String]) -> Option<Module> {
        let mut base = self.current.clone();
        let mut rest = segments;
        match rest.first().map(String::as_str) {
            Some("crate") => {
                base.clear();
                rest = &rest[1..];
            }
            Some("super" | "self") => {
                while let Some(first) = rest.first() {
                    match first.as_str() {
                        "super" => {
                            base.pop()?;
                        }
                        "self" => {}
                        _ => break,
                    }
                    rest = &rest[1..];
                }
            }
            _ => return None,
        }
        base.extend(rest.iter().cloned());
        Some(base)
    }

    fn refer(&mut self, segments: &[String]) {
        if let Some(target) = self.resolve(segments) {
            if self.current.is_empty()
                && let Some(name) = target.last()
                && target.len() > 1
            {
                self.krate.root_names.insert(name.clone(), target.clone());
            }
            self.krate.references.push((self.current.clone(), target));
        }
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(path) => {
                prefix.push(path.ident.to_string());
                self.use_tree(prefix, &path.tree);
                prefix.pop();
            }
            syn::UseTree::Name(name) => {
                prefix.push(name.ident.to_string());
                self.refer(prefix);
                prefix.pop();
            }
            syn::UseTree::Rename(rename) => {
                prefix.push(rename.ident.to_string());
                self.refer(prefix);
                prefix.pop();
            }
            syn::UseTree::Glob(_) => self.refer(prefix),
            syn::UseTree::Group(group) => {
                for tree in &group.items {
                    self.use_tree(prefix, tree);
                }
            }
        }
    }
}

impl<'ast> Visit<'ast> for Walker<'_> {
    fn visit_item_mod(&mut self, module: &'ast syn::ItemMod) {
        // Test modules may reach anywhere (a test of prepare may decide on-device with it).
        let is_test = module.attrs.iter().any(|a| {
            a.path().is_ident("cfg")
                && a.parse_args::<syn::Ident>()
                    .is_ok_and(|ident| ident == "test")
        });
        if is_test {
            return;
        }
        self.current.push(module.ident.to_string());
        self.krate.modules.insert(self.current.clone());
        syn::visit::visit_item_mod(self, module);
        self.current.pop();
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        // The root's own `use`s name what it re-exports (`pub use client::TargetClient`): as
        // paths from the crate root.
        let mut prefix = if self.current.is_empty()
            && !matches!(&item.tree, syn::UseTree::Path(p) if p.ident == "crate")
        {
            vec!["crate".to_owned()]
        } else {
            Vec::new()
        };
        self.use_tree(&mut prefix, &item.tree);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        self.refer(&segments);
        syn::visit::visit_path(self, path);
    }
}

fn read_crate(src: &Path) -> Crate {
    let mut krate = Crate::default();
    let mut files = Vec::new();
    rust_files(src, &mut files);
    for file in &files {
        krate.modules.insert(module_of(src, file));
    }
    for file in &files {
        let text = std::fs::read_to_string(file).expect("a source file");
        let ast = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let mut walker = Walker {
            krate: &mut krate,
            current: module_of(src, file),
        };
        walker.visit_file(&ast);
    }
    krate
}

/// The module a path lands in: its longest prefix that is a module.
fn landing(modules: &BTreeSet<Module>, path: &Module) -> Module {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|prefix| modules.contains(prefix))
        .unwrap_or_default()
}

/// Sibling edges, by parent: `parent -> (child -> children it imports)`.
fn sibling_edges(krate: &Crate) -> BTreeMap<Module, BTreeMap<String, BTreeSet<String>>> {
    let mut edges: BTreeMap<Module, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (from, to) in &krate.references {
        let from = landing(&krate.modules, from);
        // `crate::Name` of a re-export: the module the name comes from.
        let to = match to.first().and_then(|name| krate.root_names.get(name)) {
            Some(origin) if !krate.modules.contains(&to[..1]) => {
                origin.iter().chain(&to[1..]).cloned().collect()
            }
            _ => to.clone(),
        };
        let to = landing(&krate.modules, &to);
        let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
        // An ancestor or a descendant: a child using its parent, or a parent its child.
        if common == from.len() || common == to.len() {
            continue;
        }
        edges
            .entry(from[..common].to_vec())
            .or_default()
            .entry(from[common].clone())
            .or_default()
            .insert(to[common].clone());
    }
    edges
}

/// The strongly connected components with more than one member (Tarjan's algorithm).
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'g> {
        graph: &'g BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        found: Vec<Vec<String>>,
    }
    fn connect<'g>(state: &mut State<'g>, node: &'g str) {
        let n = state.index.len();
        state.index.insert(node, n);
        state.low.insert(node, n);
        state.stack.push(node);
        state.on_stack.insert(node);
        for next in state.graph.get(node).into_iter().flatten() {
            let next = next.as_str();
            if !state.index.contains_key(next) {
                connect(state, next);
                let low = state.low[node].min(state.low[next]);
                state.low.insert(node, low);
            } else if state.on_stack.contains(next) {
                let low = state.low[node].min(state.index[next]);
                state.low.insert(node, low);
            }
        }
        if state.low[node] == state.index[node] {
            let mut component = Vec::new();
            while let Some(member) = state.stack.pop() {
                state.on_stack.remove(member);
                component.push(member.to_owned());
                if member == node {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                state.found.push(component);
            }
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for node in graph.keys() {
        if !state.index.contains_key(node.as_str()) {
            connect(&mut state, node);
        }
    }
    state.found
}

#[test]
fn sibling_modules_import_each_other_without_cycles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let krate = read_crate(&src);
    assert!(
        krate.modules.len() > 20,
        "read the crate: {:?}",
        krate.modules
    );
    let mut report = Vec::new();
    for (parent, graph) in sibling_edges(&krate) {
        for cycle in cycles(&graph) {
            let edges: Vec<String> = cycle
                .iter()
                .map(|m| {
                    let to: Vec<&String> = graph[m].iter().filter(|t| cycle.contains(t)).collect();
                    format!("{m} -> {to:?}")
                })
                .collect();
            report.push(format!("in `{}`: {}", parent.join("::"), edges.join(", ")));
        }
    }
    assert!(report.is_empty(), "import cycles:\n{}", report.join("\n"));
}

/// The checker finds a cycle when there is one: two siblings that use each other, and two that
/// do so through a re-export of the crate root.
#[test]
fn the_checker_sees_a_cycle() {
    let dir = std::env::temp_dir().join(format!("adobe-target-cycle-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("layer")).expect("a folder");
    std::fs::write(
        dir.join("lib.rs"),
        "mod layer; mod top; pub use layer::a::A;",
    )
    .expect("written");
    std::fs::write(dir.join("top.rs"), "pub fn f() -> crate::A { crate::A }").expect("written");
    std::fs::write(dir.join("layer/mod.rs"), "mod a; mod b;").expect("written");
    std::fs::write(dir.join("layer/a.rs"), "use super::b::B; pub struct A;").expect("written");
    std::fs::write(
        dir.join("layer/b.rs"),
        "pub struct B; fn g() -> crate::layer::a::A { crate::top::f(); todo!() }",
    )
    .expect("written");
    let krate = read_crate(&dir);
    let edges = sibling_edges(&krate);
    let found = cycles(&edges[&vec!["layer".to_owned()]]);
    assert_eq!(found, vec![vec!["a".to_owned(), "b".to_owned()]]);
    assert_eq!(
        cycles(&edges[&Vec::new()]),
        vec![vec!["layer".to_owned(), "top".to_owned()]],
        "{edges:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
