//! The Tauri build step of the empty app: its one command and its capability file.

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(&["page_painted"])),
    )
    .expect("the Tauri build step failed");
}
