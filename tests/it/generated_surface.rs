//! The generated surface: every model type and the `execute` call's parameters. A change to
//! `spec/delivery-api.yaml` (or to progenitor) shows up here as a reviewable diff.

#[test]
fn generated_surface_is_reviewed() {
    let surface = include_str!(concat!(env!("OUT_DIR"), "/delivery_surface.txt"));
    insta::assert_snapshot!("generated_surface", surface);
}
