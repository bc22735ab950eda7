//! Generates the typed Delivery API client from `spec/delivery-api.yaml` with progenitor.
//!
//! Output, in `$OUT_DIR`:
//! - `delivery_api.rs`: the models (`types`), their builders and the raw `Client::execute` call,
//!   included by `src/delivery.rs`;
//! - `delivery_surface.txt`: a plain listing of every generated type and of the `execute` call's
//!   parameters, which `tests/generated_surface.rs` snapshots so that a spec change shows up as a
//!   reviewable diff.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use progenitor::{
    GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle, TypeImpl, TypePatch,
};
use quote::ToTokens;

const SPEC: &str = "spec/delivery-api.yaml";

/// Enums the server may extend: each is replaced by an open enum of ours that keeps unknown values
/// (`src/open_enums.rs`), so a new value never fails a whole response.
const OPEN_ENUMS: [&str; 3] = ["OptionType", "MetricType", "AuthenticatedState"];

fn main() {
    println!("cargo:rerun-if-changed={SPEC}");
    println!("cargo:rerun-if-changed=build.rs");

    let text = std::fs::read_to_string(SPEC).unwrap_or_else(|e| panic!("reading {SPEC}: {e}"));
    let spec: openapiv3::OpenAPI = serde_norway::from_str(&text)
        .unwrap_or_else(|e| panic!("{SPEC} is not valid OpenAPI 3.0: {e}"));

    let mut settings = GenerationSettings::default();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        // `src/delivery.rs` implements the hooks: error bodies that are not the API's JSON keep
        // their HTTP status instead of turning into a decode error.
        .with_hooks(HooksMode::Expected)
        .with_derive("schemars::JsonSchema")
        .with_derive("PartialEq")
        // Deterministic key order for maps (parameters, trace usage): stable payloads and snapshots.
        .with_map_type("::std::collections::BTreeMap")
        // `Option` would shadow `std::option::Option` under `use types::*`.
        .with_patch("Option", TypePatch::default().with_rename("OfferOption"));
    for name in OPEN_ENUMS {
        settings.with_replacement(
            name,
            format!("crate::open_enums::{name}"),
            [TypeImpl::Display].into_iter(),
        );
    }

    let mut generator = Generator::new(&settings);
    let tokens = generator
        .generate_tokens(&spec)
        .unwrap_or_else(|e| panic!("progenitor could not generate a client from {SPEC}: {e}"));
    let file: syn::File =
        syn::parse2(tokens).unwrap_or_else(|e| panic!("progenitor produced invalid Rust: {e}"));

    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    write(
        &out_dir.join("delivery_api.rs"),
        &prettyplease::unparse(&file),
    );
    write(&out_dir.join("delivery_surface.txt"), &surface(&file));
}

fn write(path: &Path, contents: &str) {
    std::fs::write(path, contents).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

/// One line per generated model type (with its fields or variants) and one per parameter of the
/// `execute` request builder.
fn surface(file: &syn::File) -> String {
    let mut out = String::new();
    for item in &file.items {
        let syn::Item::Mod(module) = item else {
            continue;
        };
        let Some((_, items)) = &module.content else {
            continue;
        };
        match module.ident.to_string().as_str() {
            "types" => list_types(items, &mut out),
            "builder" => list_execute(items, &mut out),
            _ => {}
        }
    }
    out
}

fn list_types(items: &[syn::Item], out: &mut String) {
    for item in items {
        match item {
            syn::Item::Struct(s) => {
                let fields: Vec<String> = s
                    .fields
                    .iter()
                    .map(|f| match &f.ident {
                        Some(name) => format!("{name}: {}", type_string(&f.ty)),
                        None => type_string(&f.ty),
                    })
                    .collect();
                let _ = writeln!(out, "struct {} {{ {} }}", s.ident, fields.join(", "));
            }
            syn::Item::Enum(e) => {
                let variants: Vec<String> =
                    e.variants.iter().map(|v| v.ident.to_string()).collect();
                let _ = writeln!(out, "enum {} {{ {} }}", e.ident, variants.join(", "));
            }
            _ => {}
        }
    }
}

fn list_execute(items: &[syn::Item], out: &mut String) {
    for item in items {
        if let syn::Item::Struct(s) = item
            && s.ident == "Execute"
        {
            for field in &s.fields {
                if let Some(name) = &field.ident
                    && name != "_client"
                {
                    let _ = writeln!(out, "execute.{name}: {}", type_string(&field.ty));
                }
            }
        }
    }
}

/// The type as written, without the noise of fully qualified std and serde_json paths.
fn type_string(ty: &syn::Type) -> String {
    let mut text = ty.to_token_stream().to_string();
    for prefix in [
        ":: std :: option :: ",
        ":: std :: string :: ",
        ":: std :: vec :: ",
        ":: std :: collections :: ",
        ":: serde_json :: ",
        "crate :: open_enums :: ",
    ] {
        text = text.replace(prefix, "");
    }
    text.replace(" :: ", "::")
        .replace(":: ", "::")
        .replace(" <", "<")
        .replace("< ", "<")
        .replace(" >", ">")
        .replace(" ,", ",")
}
