//! The README's Quickstart, built as a new user's crate: its `[dependencies]` block (with this
//! crate as a path dependency) and its code as `src/main.rs`, compiled offline from the local
//! registry cache.

use std::path::PathBuf;
use std::process::Command;

/// The first fenced block of `kind` after the README's `## Quickstart` heading.
fn quickstart_block(readme: &str, kind: &str) -> String {
    let section = readme
        .split_once("## Quickstart")
        .map(|(_, rest)| rest)
        .expect("a Quickstart section");
    let fence = format!("```{kind}");
    let start = section.find(&fence).expect("a block") + fence.len();
    let body = &section[start..];
    let body = &body[body.find('\n').expect("a line") + 1..];
    body[..body.find("```").expect("the block's end")].to_owned()
}

#[test]
fn the_readme_quickstart_builds_as_a_new_crate() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let dependencies = quickstart_block(&readme, "toml");
    let code = quickstart_block(&readme, "rust");
    assert!(
        dependencies.contains("adobe-target = \"0.1\""),
        "{dependencies}"
    );
    let path_dependency = format!(
        "adobe-target = {{ path = {:?} }}",
        root.display().to_string()
    );
    let manifest = format!(
        "[package]\nname = \"adobe-target-readme-quickstart\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[workspace]\n\n{}",
        dependencies.replace("adobe-target = \"0.1\"", &path_dependency)
    );
    let dir = std::env::temp_dir().join(format!("adobe-target-quickstart-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("src")).expect("a temp crate");
    std::fs::write(dir.join("Cargo.toml"), manifest).expect("Cargo.toml");
    std::fs::write(dir.join("src/main.rs"), code).expect("main.rs");
    // This crate's lock file, so the new crate resolves offline to what is already cached.
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).expect("Cargo.lock");
    let exe = std::env::current_exe().expect("the test binary");
    // The tests' own target folder: the dependencies this crate shares with it are built once.
    let target = exe
        .parent()
        .and_then(|deps| deps.parent())
        .and_then(|profile| profile.parent())
        .expect("target/")
        .to_owned();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args(["build", "--offline", "--quiet"])
        .env("CARGO_TARGET_DIR", &target)
        .current_dir(&dir)
        .output()
        .expect("cargo runs");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        output.status.success(),
        "the Quickstart does not build as a new crate:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
