/// The app's own commands; each must also be granted in `capabilities/main-window.json`.
const COMMANDS: &[&str] = &[
    "take_notices",
    "list_presets",
    "register_app",
    "update_app",
    "remove_app",
    "list_apps",
    "list_accounts",
    "start_sign_in",
    "cancel_sign_in",
    "paste_redirect",
    "add_personal_token",
    "refresh_account",
    "remove_account",
    "open_provider_page",
    "open_post_page",
    "parse_post_link",
    "prepare_vote",
    "prepare_post",
    "prepare_follow",
    "prepare_reblog",
    "prepare_delete",
    "prepare_claim",
    "send_draft",
    "preview_markdown",
    "preview_images",
    "list_activity",
    "prepare_retry",
    "open_external_link",
    "send_api_request",
    "list_recent_requests",
    "list_api_targets",
    "post_card",
    "account_standing",
    "account_authority",
    "pending_rewards",
    "set_script_access",
    "answer_script_request",
    "sandbox_status",
    "start_sandbox",
    "leave_sandbox",
    "page_painted",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .capabilities_path_pattern("./src-tauri/capabilities/**/*")
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("the Tauri build step failed");
}
