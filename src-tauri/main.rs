// Hides the extra console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // `authdeck status` and `authdeck token` answer on the terminal and exit: no window, no
    // plugin (not even the single-instance hand-over) starts for them.
    if let Some(status) = authdeck::cli::run_from_args() {
        std::process::exit(status);
    }
    authdeck::run();
}
