//! An offline playground for trying Authdeck by hand:
//! `cargo run --example sandbox [-- --port N]`.
//!
//! Serves three fakes of `crates/fake-hivesigner` on 127.0.0.1, each with a consent page to
//! click in the browser and a demo app registered for the fixed ports of Authdeck's older
//! "Local sandbox" presets (no longer offered by the form; apps registered with them keep
//! working). The app's own "Try it offline" (`authdeck --sandbox`, `src-tauri/sandbox.rs`) runs
//! the same fakes inside the app on free ports, its demo apps registered: this example stays
//! for development.
//!
//! - a Hivesigner (port 8787 by default, `--port N`): app `sandbox-app`, any loopback port
//!   with the path `/callback`, and `authdeck://callback`;
//! - a strict OAuth 2.0 / OpenID Connect server, issuer `http://127.0.0.1:8788/oauth` (an
//!   issuer with a path): public client `authdeck-demo`, PKCE S256, `http://127.0.0.1/callback`
//!   on any port and `authdeck://callback`; a small API at `/api/me` and `/api/notes`;
//! - an "apps tab" token site at `http://127.0.0.1:8789`: app `1` with the one redirect URI
//!   `http://127.0.0.1:47615/callback`, and a personal token printed at start-up.
//!
//! The last two ports are fixed: Authdeck's presets name them. Nothing leaves the machine; the
//! tokens live only as long as this runs. Ctrl-C stops it.

use std::net::SocketAddr;
use std::process::ExitCode;

use fake_hivesigner::oauth2::{Client, FakeOAuth2, OAuth2Config};
use fake_hivesigner::token_site::{FakeTokenSite, TokenSiteConfig};
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

/// The OAuth 2.0 server's port and issuer path (Authdeck's `SANDBOX_OAUTH2_ISSUER`).
const OAUTH2_PORT: u16 = 8788;
const OAUTH2_ISSUER_PATH: &str = "/oauth";
const OAUTH2_CLIENT_ID: &str = "authdeck-demo";
/// The loopback one matches any port (RFC 8252 7.3); the client is native, so the custom
/// scheme is allowed.
const OAUTH2_REDIRECT_URIS: [&str; 2] = ["http://127.0.0.1/callback", "authdeck://callback"];
const OAUTH2_SCOPES: &str = "openid profile offline_access";
/// Access tokens live ten minutes of wall time, so refreshes can be watched.
const OAUTH2_EXPIRES_IN: u64 = 600;
/// A fixed PKCE pair for trying the flow by hand: the challenge is
/// `BASE64URL(SHA-256(verifier))` (RFC 7636 4.2).
const TRY_VERIFIER: &str = "authdeck-sandbox-pkce-verifier-0123456789abcdef";
const TRY_CHALLENGE: &str = "0IfLJgFPNoTjjBwql10b_kWETl4cM7vBY26l27oIsWI";

/// The token site's port (Authdeck's `SANDBOX_TOKEN_SITE_URL`).
const TOKEN_SITE_PORT: u16 = 8789;
const TOKEN_SITE_CLIENT_ID: &str = "1";
/// A token site registers one redirect URI per app, its port included.
const TOKEN_SITE_LOOPBACK_PORT: u16 = 47615;
/// Who the printed personal token belongs to.
const DEMO_USER: &str = "alice";

const USAGE: &str = "usage: cargo run --example sandbox [-- --port N]

  --port N   the fake Hivesigner's port (default 8787); the OAuth 2.0 server (8788) and the
             token site (8789) keep theirs, which Authdeck's presets name";

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

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

fn sandbox_config(port: u16) -> FakeConfig {
    FakeConfig {
        redirect_rules: RedirectRules::AnyGeneration,
        consent: Consent::Page,
        bind: loopback(port),
        ..FakeConfig::default()
    }
}

fn oauth2_config() -> OAuth2Config {
    OAuth2Config {
        issuer_path: OAUTH2_ISSUER_PATH.into(),
        consent: Consent::Page,
        expires_in: OAUTH2_EXPIRES_IN,
        real_time: true,
        bind: loopback(OAUTH2_PORT),
        ..OAuth2Config::default()
    }
}

fn token_site_config() -> TokenSiteConfig {
    TokenSiteConfig {
        consent: Consent::Page,
        bind: loopback(TOKEN_SITE_PORT),
        ..TokenSiteConfig::default()
    }
}

/// What to tell the person at the terminal about the fake Hivesigner.
fn hivesigner_instructions(fake: &FakeHivesigner, users: &[String]) -> String {
    let base = fake.base_url();
    let try_url = fake.authorize_url(&[
        ("client_id", CLIENT_ID),
        ("redirect_uri", "http://127.0.0.1:8790/callback"),
        ("scope", "offline"),
        ("state", "try-it"),
    ]);
    format!(
        "1. Fake Hivesigner at {base}

  preset         \"Hivesigner-compatible server\" with the base URL
  client id      {CLIENT_ID}
  client secret  {CLIENT_SECRET}
  redirect URIs  http://127.0.0.1:<any port>/callback (also localhost and [::1]),
                 authdeck://callback
  accounts       {users} (type one on the consent page)

  By hand:
    a. open {try_url}
       approve; the browser lands on 127.0.0.1:8790 (nothing listens there): copy `code`
       from its address bar
    b. curl -s {base}/api/oauth2/token -H 'Content-Type: application/json' \\
         -d '{{\"code\":\"<code>\",\"client_secret\":\"{CLIENT_SECRET}\"}}'
    c. curl -s {base}/api/me -H 'Authorization: <access_token>'",
        users = users.join(", "),
    )
}

/// What to tell the person at the terminal about the fake OAuth 2.0 server.
fn oauth2_instructions(fake: &FakeOAuth2) -> String {
    let issuer = fake.issuer();
    let redirects = OAUTH2_REDIRECT_URIS.join(", ");
    let try_redirect = "http://127.0.0.1:8790/callback";
    let try_url = fake.authorize_url(&[
        ("client_id", OAUTH2_CLIENT_ID),
        ("response_type", "code"),
        ("redirect_uri", try_redirect),
        ("scope", OAUTH2_SCOPES),
        ("prompt", "consent"),
        ("state", "try-it"),
        ("code_challenge", TRY_CHALLENGE),
        ("code_challenge_method", "S256"),
    ]);
    format!(
        "2. Fake OAuth 2.0 / OpenID Connect server, issuer {issuer}

  preset         \"OAuth 2.0 / OpenID Connect server\" with the issuer
  client id      {OAUTH2_CLIENT_ID} (a public client: no secret, PKCE S256)
  scopes         {OAUTH2_SCOPES}
  redirect URIs  {redirects} (the loopback one on any port)
  accounts       any name (the consent page starts with alice)
  tokens         access tokens live {OAUTH2_EXPIRES_IN} s; refresh tokens rotate (offline_access
                 with prompt=consent)

  Discovery:     curl -s {rfc8414}
                 curl -s {openid}
  By hand:
    a. open {try_url}
       approve; copy `code` from the address bar of 127.0.0.1:8790 (nothing listens there)
    b. curl -s {token} -d grant_type=authorization_code -d client_id={OAUTH2_CLIENT_ID} \\
         --data-urlencode redirect_uri={try_redirect} -d code_verifier={TRY_VERIFIER} \\
         -d 'code=<code>'
    c. curl -s {me} -H 'Authorization: Bearer <access_token>'
       curl -s {notes} -H 'Authorization: Bearer <access_token>' \\
         -H 'Content-Type: application/json' -d '{{\"text\":\"hello\"}}'",
        token = fake.token_endpoint(),
        rfc8414 = fake.rfc8414_metadata_url(),
        openid = fake.openid_configuration_url(),
        me = fake.api_me_url(),
        notes = fake.api_notes_url(),
    )
}

/// What to tell the person at the terminal about the fake token site.
fn token_site_instructions(site: &FakeTokenSite, personal_token: &str) -> String {
    let base = site.base_url();
    format!(
        "3. Fake \"apps tab\" token site at {base}

  preset         \"Token site\" with the base URL (Authdeck chooses the app's loopback port:
                 only apps of the older \"Local sandbox: token site\" preset use the port below)
  client id      {TOKEN_SITE_CLIENT_ID}
  redirect URI   http://127.0.0.1:{TOKEN_SITE_LOOPBACK_PORT}/callback (registered with its port:
                 the app's loopback port in Authdeck must be {TOKEN_SITE_LOOPBACK_PORT}; this site
                 takes one redirect URI per app, so not authdeck://callback)
  accounts       any name (type one on the consent page)
  personal token {personal_token}
                 (for {DEMO_USER}: try \"paste a personal token\"; a sandbox token, fine to show)

  By hand:       open {authorize}
                 curl -s {base}/@me -H 'Authorization: {personal_token}'
                 curl -s {base}/",
        authorize = site.authorize_url(TOKEN_SITE_CLIENT_ID),
    )
}

/// Whether something else already listens on 127.0.0.1:`port` (the token site's start panics
/// instead of saying so).
fn port_taken(port: u16) -> Option<std::io::Error> {
    std::net::TcpListener::bind(loopback(port)).err()
}

fn cannot_listen(what: &str, port: u16, error: &std::io::Error, hint: &str) -> ExitCode {
    eprintln!("cannot listen on 127.0.0.1:{port} for the {what}: {error}{hint}");
    ExitCode::FAILURE
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
    let fixed = " (Authdeck's preset expects this port: stop what uses it)";

    let config = sandbox_config(port);
    let users = config.users.clone();
    let hivesigner = match FakeHivesigner::try_start(config).await {
        Ok(fake) => fake,
        Err(error) => {
            let hint = " (choose another with --port N)";
            return cannot_listen("fake Hivesigner", port, &error, hint);
        }
    };
    hivesigner.register_app(CLIENT_ID, CLIENT_SECRET, &REDIRECT_URIS);

    let oauth2 = match FakeOAuth2::try_start(oauth2_config()).await {
        Ok(fake) => fake,
        Err(error) => return cannot_listen("fake OAuth 2.0 server", OAUTH2_PORT, &error, fixed),
    };
    oauth2.register_client(
        OAUTH2_CLIENT_ID,
        Client::public(&OAUTH2_REDIRECT_URIS).native(),
    );

    if let Some(error) = port_taken(TOKEN_SITE_PORT) {
        return cannot_listen("fake token site", TOKEN_SITE_PORT, &error, fixed);
    }
    let token_site = FakeTokenSite::start(token_site_config()).await;
    let token_site_redirect = format!("http://127.0.0.1:{TOKEN_SITE_LOOPBACK_PORT}/callback");
    token_site.register_app(TOKEN_SITE_CLIENT_ID, &token_site_redirect);
    let personal_token = token_site.mint_personal_token(DEMO_USER);

    println!(
        "Authdeck sandbox: three fake providers, offline; nothing leaves this machine.
In Authdeck, register an app with the preset and client id below; signing in opens the
fake's consent page in your browser.

{}

{}

{}

Tokens are remembered only while this runs. Ctrl-C stops it.",
        hivesigner_instructions(&hivesigner, &users),
        oauth2_instructions(&oauth2),
        token_site_instructions(&token_site, &personal_token),
    );
    if let Err(error) = tokio::signal::ctrl_c().await {
        eprintln!("cannot wait for Ctrl-C ({error}); stopping");
        return ExitCode::FAILURE;
    }
    println!("\nStopped.");
    ExitCode::SUCCESS
}
