// Hides the extra console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // `authdeck status` and `authdeck token` answer on the terminal and exit: no window, no
    // plugin (not even the single-instance hand-over) starts for them.
    if let Some(status) = authdeck::cli::run_from_args() {
        std::process::exit(status);
    }
    // Before any thread starts (the environment is the process's): WebKit paints the page on
    // the CPU unless the person chose otherwise (see `authdeck::startup::render_on_cpu`).
    #[cfg(target_os = "linux")]
    {
        let var = authdeck::startup::CPU_RENDERING_VAR;
        if let Some(value) = authdeck::startup::render_on_cpu(std::env::var_os(var).as_deref()) {
            std::env::set_var(var, value);
        }
    }
    authdeck::run();
}
