//! An offline Hivesigner for trying Authdeck by hand:
//! `cargo run --example sandbox [-- --port N]`.
//!
//! Serves the fake of `crates/fake-hivesigner` on 127.0.0.1 (port 8787 by default)
//! with a visible consent page and an app, `sandbox-app`, ready to use: it accepts any loopback
//! port with the path `/callback`, and `authdeck://callback`. Nothing leaves the machine; the
//! tokens it signs live only as long as it runs. Ctrl-C stops it.

use std::net::SocketAddr;
use std::process::ExitCode;

use fake_hivesigner::{Consent, FakeConfig, FakeHivesigner, RedirectRules};

const DEFAULT_PORT: u16 = 8787;
const CLIENT_ID: &str = "sandbox-app";
const CLIENT_SECRET: &str = "sandbox-secret";
/// Loopback URIs match any port with the same host and path; the deep link matches exactly.
const REDIRECT_URIS: [&str; 4] = [
    "http://127.0.0.1/callback",
    "http://localhost/callback",
    "http://[::1]/callback",
    "authdeck://callback",
];
const USAGE: &str = "usage: cargo run --example sandbox [-- --port N]";

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
enum Command {
    Serve { port: u16 },
    Help,
}

/// Reads `--port N`, `--port=N` and `--help`.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Command, String> {
    let mut port = DEFAULT_PORT;
    while let Some(arg) = args.next() {
        let value = match arg.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--port" => args.next().ok_or("--port needs a number")?,
            other => match other.strip_prefix("--port=") {
                Some(value) => value.to_owned(),
                None => return Err(format!("unknown argument {other:?}")),
            },
        };
        port = value
            .parse()
            .map_err(|_| format!("{value:?} is not a port number"))?;
    }
    Ok(Command::Serve { port })
}

fn sandbox_config(port: u16) -> FakeConfig {
    FakeConfig {
        redirect_rules: RedirectRules::AnyGeneration,
        consent: Consent::Page,
        bind: SocketAddr::from(([127, 0, 0, 1], port)),
        ..FakeConfig::default()
    }
}

/// What to tell the person at the terminal once the sandbox listens.
fn instructions(fake: &FakeHivesigner, users: &[String]) -> String {
    let base = fake.base_url();
    let try_url = fake.authorize_url(&[
        ("client_id", CLIENT_ID),
        ("redirect_uri", "http://127.0.0.1:8788/callback"),
        ("scope", "offline"),
        ("state", "try-it"),
    ]);
    format!(
        "Fake Hivesigner sandbox: offline, nothing leaves this machine.

  base URL       {base}
  client id      {CLIENT_ID}
  client secret  {CLIENT_SECRET}
  redirect URIs  http://127.0.0.1:<any port>/callback (also localhost and [::1]),
                 authdeck://callback
  accounts       {users} (type one on the consent page)

In Authdeck, register the app with the provider \"Local sandbox\" (or \"Hivesigner-compatible
server\" with the base URL above), the client id and the secret. Signing in opens the consent
page in your browser.

By hand:
  1. open {try_url}
     approve; the browser lands on 127.0.0.1:8788 (nothing listens there): copy `code` from
     its address bar
  2. curl -s {base}/api/oauth2/token -H 'Content-Type: application/json' \\
       -d '{{\"code\":\"<code>\",\"client_secret\":\"{CLIENT_SECRET}\"}}'
  3. curl -s {base}/api/me -H 'Authorization: <access_token>'

Tokens are remembered only while this runs. Ctrl-C stops it.",
        users = users.join(", "),
    )
}

#[tokio::main]
async fn main() -> ExitCode {
    let port = match parse_args(std::env::args().skip(1)) {
        Ok(Command::Serve { port }) => port,
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(problem) => {
            eprintln!("{problem}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let config = sandbox_config(port);
    let users = config.users.clone();
    let fake = match FakeHivesigner::try_start(config).await {
        Ok(fake) => fake,
        Err(error) => {
            eprintln!("cannot listen on 127.0.0.1:{port}: {error} (choose another with --port N)");
            return ExitCode::FAILURE;
        }
    };
    fake.register_app(CLIENT_ID, CLIENT_SECRET, &REDIRECT_URIS);
    println!("{}", instructions(&fake, &users));
    if let Err(error) = tokio::signal::ctrl_c().await {
        eprintln!("cannot wait for Ctrl-C ({error}); stopping");
        return ExitCode::FAILURE;
    }
    println!("\nStopped.");
    ExitCode::SUCCESS
}
