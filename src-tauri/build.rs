fn main() {
    let commands = tauri_build::AppManifest::new().commands(&["take_notices"]);
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .capabilities_path_pattern("./src-tauri/capabilities/**/*")
            .app_manifest(commands),
    )
    .expect("the Tauri build step failed");
}
