//! Compiles the purpose-built guest components under `tests/guests/*` and tells the tests where
//! they are (`AIRLOCK_GUEST_<NAME>`).

#[path = "../host/build_wasm.rs"]
mod build_wasm;

use std::path::Path;

fn main() {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap();
    let workspace = Path::new(&manifest_dir).parent().unwrap();
    let guests = build_wasm::packages_in(workspace, "tests/guests");
    let names: Vec<String> = guests.iter().map(|(_, package)| package.clone()).collect();
    let built = build_wasm::build_components(workspace, &names);
    for ((short, _), wasm) in guests.iter().zip(built) {
        println!("cargo:rustc-env=AIRLOCK_GUEST_{}={}", short.to_uppercase(), wasm.display());
    }
}
