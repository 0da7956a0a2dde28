//! Compiles the built-in connectors (`connectors/*`) to components and embeds them.

#[path = "build_wasm.rs"]
mod build_wasm;

use std::path::Path;

fn main() {
    // `sqlx::migrate!` embeds the migrations: a new or changed one must rebuild the crate.
    println!("cargo:rerun-if-changed=migrations");
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap();
    let workspace = Path::new(&manifest_dir).parent().unwrap();
    let out_dir = std::env::var("OUT_DIR").unwrap();
    let connectors = build_wasm::packages_in(workspace, "connectors");
    let names: Vec<String> = connectors.iter().map(|(_, package)| package.clone()).collect();
    let built = build_wasm::build_components(workspace, &names);
    let mut table = String::from(
        "/// The built-in connectors: (name, component bytes).\npub const BUILTIN: &[(&str, &[u8])] = &[\n",
    );
    for ((short, _), wasm) in connectors.iter().zip(built) {
        let dest = Path::new(&out_dir).join(format!("{short}.wasm"));
        std::fs::copy(&wasm, &dest).expect("copy component");
        table.push_str(&format!("    ({short:?}, include_bytes!({:?})),\n", dest.display().to_string()));
    }
    table.push_str("];\n");
    std::fs::write(Path::new(&out_dir).join("builtin.rs"), table).unwrap();
}
