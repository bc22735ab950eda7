//! Generates the typed Delivery API client from `spec/delivery-api.yaml` with progenitor.
//!
//! Output, in `$OUT_DIR`:
//! - `delivery_api.rs`: the models (`types`), their builders and the raw `Client::execute` call,
//!   included by `src/delivery.rs`;
//! - `delivery_positional.rs`: the same `execute` call with positional, borrowed arguments, which
//!   the SDK sends every call through (a call in flight then holds references to its request, not
//!   copies of it); every model in it is replaced by the one in `delivery_api.rs`;
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
/// (`src/open_enums.rs`), so a new value never fails a whole response. (Replaced enums are not
/// generated, so the positional run has nothing of them to reuse.)
const OPEN_ENUMS: [&str; 3] = ["OptionType", "MetricType", "AuthenticatedState"];

/// Closed enums replaced by ours: `DecisioningMethod` for a parse error that lists the valid
/// values (typify's says `invalid value`), `ChannelType` to also read the spellings the Node.js
/// SDK accepts (`Web`, `Mobile`) while always sending the API's.
const CLOSED_ENUMS: [&str; 2] = ["DecisioningMethod", "ChannelType"];

/// Models replaced by ours in `src/delivery/shared.rs`, the same on the wire but cheap to clone:
/// an on-device decision hands every visitor the artifact's offer content, response tokens,
/// event tokens and mbox and view names.
const SHARED: [&str; 4] = ["ResponseTokens", "OfferContent", "EventToken", "ItemName"];

/// Models renamed from their schema's name: `Option` would shadow `std::option::Option` under
/// `use types::*`.
const RENAMES: [(&str, &str); 1] = [("Option", "OfferOption")];

fn main() {
    println!("cargo:rerun-if-changed={SPEC}");
    println!("cargo:rerun-if-changed=build.rs");

    let text = std::fs::read_to_string(SPEC).unwrap_or_else(|e| panic!("reading {SPEC}: {e}"));
    let spec: openapiv3::OpenAPI = serde_norway::from_str(&text)
        .unwrap_or_else(|e| panic!("{SPEC} is not valid OpenAPI 3.0: {e}"));

    // `delivery::API_VERSION`, from the spec rather than typed by hand.
    println!(
        "cargo:rustc-env=ADOBE_TARGET_DELIVERY_API_VERSION={}",
        spec.info.version
    );
    let mut builder_style = generate(&spec, &settings(InterfaceStyle::Builder, &[]));
    always_send_empty_lists(&spec, &mut builder_style);
    // The positional call reuses the models above: each schema is replaced by the type the first
    // run made of it, so the second run emits only the client and its one method.
    let models = model_paths(&spec, &builder_style);
    let positional = generate(&spec, &settings(InterfaceStyle::Positional, &models));
    if let Some(model) = model_names(&positional).first() {
        panic!("the positional client defines its own {model}: its schema was not replaced");
    }

    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    write(
        &out_dir.join("delivery_api.rs"),
        &prettyplease::unparse(&builder_style),
    );
    write(
        &out_dir.join("delivery_positional.rs"),
        &prettyplease::unparse(&positional),
    );
    write(
        &out_dir.join("delivery_surface.txt"),
        &surface(&builder_style),
    );
}

fn settings(interface: InterfaceStyle, models: &[(String, String)]) -> GenerationSettings {
    let mut settings = GenerationSettings::default();
    settings
        .with_interface(interface)
        .with_tag(TagStyle::Merged)
        // `src/delivery.rs` implements the hooks: error bodies that are not the API's JSON keep
        // their HTTP status instead of turning into a decode error.
        .with_hooks(HooksMode::Expected)
        .with_derive("schemars::JsonSchema")
        .with_derive("PartialEq")
        // Deterministic key order for maps (parameters, trace usage): stable payloads and snapshots.
        .with_map_type("::std::collections::BTreeMap");
    for (name, rename) in RENAMES {
        settings.with_patch(name, TypePatch::default().with_rename(rename));
    }
    for name in OPEN_ENUMS.iter().chain(&CLOSED_ENUMS) {
        settings.with_replacement(
            name,
            format!("crate::delivery::open_enums::{name}"),
            [TypeImpl::Display, TypeImpl::FromStr].into_iter(),
        );
    }
    for name in SHARED {
        settings.with_replacement(
            name,
            format!("crate::delivery::shared::{name}"),
            std::iter::empty(),
        );
    }
    for (schema, path) in models {
        settings.with_replacement(schema, path, std::iter::empty());
    }
    settings
}

fn generate(spec: &openapiv3::OpenAPI, settings: &GenerationSettings) -> syn::File {
    let tokens = Generator::new(settings)
        .generate_tokens(spec)
        .unwrap_or_else(|e| panic!("progenitor could not generate a client from {SPEC}: {e}"));
    syn::parse2(tokens).unwrap_or_else(|e| panic!("progenitor produced invalid Rust: {e}"))
}

/// Each generated model's name before any rename (typify changes the case of some schema names:
/// `QAMode` becomes `QaMode`), with its path.
fn model_paths(spec: &openapiv3::OpenAPI, generated: &syn::File) -> Vec<(String, String)> {
    let idents = model_names(generated);
    let schemas = spec.components.iter().flat_map(|c| c.schemas.keys());
    schemas
        .filter(|name| {
            let name = name.as_str();
            !OPEN_ENUMS.contains(&name) && !CLOSED_ENUMS.contains(&name) && !SHARED.contains(&name)
        })
        .map(|name| {
            let renamed = RENAMES.iter().find(|(from, _)| from == name);
            let wanted = renamed.map_or(name.as_str(), |(_, to)| to);
            let ident = idents
                .iter()
                .find(|ident| ident.eq_ignore_ascii_case(wanted))
                .unwrap_or_else(|| panic!("no model was generated for schema {name}"));
            let key = renamed.map_or(ident.as_str(), |(from, _)| from);
            (key.to_owned(), format!("crate::delivery::types::{ident}"))
        })
        .collect()
}

/// A property whose schema says `default: []` is sent even when empty: typify skips an empty
/// list when serialising, and the Edge and the Node.js SDK send some lists (a view's `metrics`)
/// as `[]`. Reading still takes a missing list as empty.
fn always_send_empty_lists(spec: &openapiv3::OpenAPI, file: &mut syn::File) {
    let schemas = spec.components.iter().flat_map(|c| &c.schemas);
    for (schema_name, schema) in schemas {
        let openapiv3::ReferenceOr::Item(schema) = schema else {
            continue;
        };
        let openapiv3::SchemaKind::Type(openapiv3::Type::Object(object)) = &schema.schema_kind
        else {
            continue;
        };
        for (property, value) in &object.properties {
            let openapiv3::ReferenceOr::Item(value) = value else {
                continue;
            };
            let empty_default = value
                .schema_data
                .default
                .as_ref()
                .and_then(|d| d.as_array())
                .is_some_and(Vec::is_empty);
            if empty_default && !keep_empty(file, schema_name, property) {
                panic!("{SPEC}: no generated field for {schema_name}.{property}");
            }
        }
    }
}

/// Drops `skip_serializing_if` from the field of `schema`'s struct that serialises as
/// `property`; false if there is no such field.
fn keep_empty(file: &mut syn::File, schema: &str, property: &str) -> bool {
    let renamed = RENAMES.iter().find(|(from, _)| *from == schema);
    let wanted = renamed.map_or(schema, |(_, to)| to);
    let types = file.items.iter_mut().find_map(|item| match item {
        syn::Item::Mod(module) if module.ident == "types" => module.content.as_mut(),
        _ => None,
    });
    let Some((_, items)) = types else {
        return false;
    };
    for item in items {
        let syn::Item::Struct(model) = item else {
            continue;
        };
        if !model.ident.to_string().eq_ignore_ascii_case(wanted) {
            continue;
        }
        for field in &mut model.fields {
            let wire_name =
                serde_rename(&field.attrs).or_else(|| field.ident.as_ref().map(|i| i.to_string()));
            if wire_name.as_deref() != Some(property) {
                continue;
            }
            for attr in &mut field.attrs {
                let Some(metas) = serde_metas(attr) else {
                    continue;
                };
                let kept: Vec<&syn::Meta> = metas
                    .iter()
                    .filter(|meta| !meta.path().is_ident("skip_serializing_if"))
                    .collect();
                *attr = syn::parse_quote!(#[serde(#(#kept),*)]);
            }
            return true;
        }
    }
    false
}

/// The items of a `#[serde(...)]` attribute; none for another attribute.
fn serde_metas(
    attr: &syn::Attribute,
) -> Option<syn::punctuated::Punctuated<syn::Meta, syn::Token![,]>> {
    attr.path().is_ident("serde").then(|| {
        attr.parse_args_with(syn::punctuated::Punctuated::parse_terminated)
            .unwrap_or_else(|e| panic!("a serde attribute typify wrote: {e}"))
    })
}

/// The `rename = "..."` of a field's serde attributes.
fn serde_rename(attrs: &[syn::Attribute]) -> Option<String> {
    attrs.iter().filter_map(serde_metas).find_map(|metas| {
        metas.iter().find_map(|meta| match meta {
            syn::Meta::NameValue(nv) if nv.path.is_ident("rename") => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(text),
                    ..
                }) => Some(text.value()),
                _ => None,
            },
            _ => None,
        })
    })
}

/// The structs and enums of the `types` module of `file`.
fn model_names(file: &syn::File) -> Vec<String> {
    items_of(file, "types")
        .iter()
        .filter_map(|item| match item {
            syn::Item::Struct(s) => Some(s.ident.to_string()),
            syn::Item::Enum(e) => Some(e.ident.to_string()),
            _ => None,
        })
        .collect()
}

/// The items of the top-level module `name` of `file` (none if it has no such module).
fn items_of<'a>(file: &'a syn::File, name: &str) -> &'a [syn::Item] {
    file.items
        .iter()
        .find_map(|item| match item {
            syn::Item::Mod(module) if module.ident == name => {
                module.content.as_ref().map(|(_, items)| items.as_slice())
            }
            _ => None,
        })
        .unwrap_or_default()
}

fn write(path: &Path, contents: &str) {
    std::fs::write(path, contents).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

/// One line per generated model type (with its fields or variants) and one per parameter of the
/// `execute` request builder.
fn surface(file: &syn::File) -> String {
    let mut out = String::new();
    list_types(items_of(file, "types"), &mut out);
    list_execute(items_of(file, "builder"), &mut out);
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
        "crate :: delivery :: open_enums :: ",
        "crate :: delivery :: shared :: ",
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
