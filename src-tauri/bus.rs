//! The running app's face on the session bus (Linux), and the client `authdeck token` and
//! `authdeck status` use. The app owns [`BUS_NAME`] and serves [`INTERFACE`] at
//! [`OBJECT_PATH`], so a script's request reaches the process that keeps the tokens: one
//! refresh in flight per account whoever asks, and the window to confirm in.
//!
//! `Token(s account, s app, s provider) -> s access_token`, where `app` and `provider` may be
//! empty (see [`Selector`]). Who asks is what the bus daemon says (the sender's process id and
//! user from `GetConnectionCredentials`), never what the caller claims; a caller running as
//! another user is refused. Refusals come back as `org.freedesktop.DBus.Error.AccessDenied`
//! (scripts not allowed for the app, declined or unanswered in the window), an unknown or
//! ambiguous account as `org.freedesktop.DBus.Error.InvalidArgs`, anything else as
//! `org.freedesktop.DBus.Error.Failed`, each with Authdeck's message.
//!
//! Why zbus: the single-instance plugin already builds zbus 5 (pure Rust, async, with an
//! object server that answers introspection), so the interface costs no new dependency; the
//! `dbus` crate (a dev-dependency, for the tests' keyring checks) would bring libdbus calls and
//! a dispatch loop of our own. zbus runs its own executor thread: a request is handed to the
//! app's tokio runtime, where the core's futures live.

use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use zbus::fdo;
use zbus::message::Header;
use zbus::names::BusName;

use crate::locks;
use crate::scripts::{Caller, Prompter, Route, ScriptError, ScriptTokens, Selector};

/// The well-known name the running app owns.
pub const BUS_NAME: &str = "app.authdeck.desktop.Tokens";
/// Where it serves [`INTERFACE`].
pub const OBJECT_PATH: &str = "/app/authdeck/desktop/Tokens";
/// The interface (versioned: a change of its methods is a new name).
pub const INTERFACE: &str = "app.authdeck.desktop.Tokens1";

/// How long the client waits for an answer: the person's confirmation, then a refresh that
/// may wait for another one first.
pub const CLIENT_TIMEOUT: Duration =
    Duration::from_secs(crate::scripts::CONFIRM_TIMEOUT.as_secs() + locks::DEFAULT_WAIT.as_secs());

/// The served interface; dropping it releases the name.
pub struct BusService {
    _connection: zbus::Connection,
}

/// Owns [`BUS_NAME`] on the session bus and answers [`INTERFACE`] with `scripts`, asking the
/// person through `prompter`. Must be called inside a tokio runtime (requests run there).
pub async fn serve(
    scripts: Arc<ScriptTokens>,
    prompter: Arc<dyn Prompter>,
) -> Result<BusService, String> {
    let service = Service {
        scripts,
        prompter,
        runtime: tokio::runtime::Handle::current(),
        user: rustix::process::getuid().as_raw(),
    };
    let connection = zbus::connection::Builder::session()
        .and_then(|builder| builder.name(BUS_NAME))
        .and_then(|builder| {
            builder
                .replace_existing_names(false)
                .allow_name_replacements(false)
                .serve_at(OBJECT_PATH, service)
        })
        .map_err(|err| format!("no session bus: {err}"))?
        .build()
        .await
        .map_err(|err| match err {
            zbus::Error::NameTaken => {
                format!("another program already owns {BUS_NAME} on the session bus")
            }
            other => format!("could not serve {BUS_NAME} on the session bus: {other}"),
        })?;
    Ok(BusService {
        _connection: connection,
    })
}

struct Service {
    scripts: Arc<ScriptTokens>,
    prompter: Arc<dyn Prompter>,
    runtime: tokio::runtime::Handle,
    user: u32,
}

#[zbus::interface(name = "app.authdeck.desktop.Tokens1")]
impl Service {
    /// A fresh access token of the account named, for the calling program.
    async fn token(
        &self,
        #[zbus(header)] header: Header<'_>,
        #[zbus(connection)] connection: &zbus::Connection,
        account: String,
        app: String,
        provider: String,
    ) -> fdo::Result<String> {
        let caller = self.caller(connection, &header).await?;
        let selector = Selector {
            account,
            app: given(app),
            provider: given(provider),
        };
        let (scripts, prompter) = (self.scripts.clone(), self.prompter.clone());
        let answer = self
            .runtime
            .spawn(async move {
                scripts
                    .token(&selector, &caller, Some(prompter.as_ref()))
                    .await
                    .map(|token| token.expose_secret().to_owned())
            })
            .await
            .map_err(|err| fdo::Error::Failed(format!("Authdeck stopped the request: {err}")))?;
        answer.map_err(|err| match err {
            ScriptError::NotAllowed(message) => fdo::Error::AccessDenied(message),
            ScriptError::NoMatch(message) | ScriptError::Ambiguous(message) => {
                fdo::Error::InvalidArgs(message)
            }
            ScriptError::Failed(err) => fdo::Error::Failed(err.message()),
        })
    }
}

impl Service {
    /// Who sent the request, as the bus daemon knows it; refused unless it runs as our user.
    async fn caller(
        &self,
        connection: &zbus::Connection,
        header: &Header<'_>,
    ) -> fdo::Result<Caller> {
        let sender = header
            .sender()
            .ok_or_else(|| fdo::Error::AccessDenied("The request names no sender.".into()))?;
        let credentials = fdo::DBusProxy::new(connection)
            .await?
            .get_connection_credentials(BusName::from(sender.to_owned()))
            .await?;
        if credentials.unix_user_id() != Some(self.user) {
            return Err(fdo::Error::AccessDenied(
                "Authdeck hands tokens only to programs of the user it runs for.".into(),
            ));
        }
        Ok(Caller::process(credentials.process_id(), Route::SessionBus))
    }
}

/// `Some(value)` unless it is empty.
fn given(value: String) -> Option<String> {
    (!value.trim().is_empty()).then_some(value)
}

/// What the running app answered.
pub enum Answer {
    /// The token.
    Token(SecretString),
    /// No Authdeck runs (or none is reachable on the session bus).
    NotRunning,
}

/// A session bus connection for the client, or `None` when there is no session bus.
async fn session() -> Option<zbus::Connection> {
    zbus::connection::Builder::session()
        .ok()?
        .method_timeout(CLIENT_TIMEOUT)
        .build()
        .await
        .ok()
}

async fn owner_present(connection: &zbus::Connection) -> bool {
    let Ok(bus) = fdo::DBusProxy::new(connection).await else {
        return false;
    };
    let Ok(name) = BusName::try_from(BUS_NAME) else {
        return false;
    };
    bus.name_has_owner(name).await.unwrap_or(false)
}

/// Whether an Authdeck answers on the session bus.
pub async fn app_running() -> bool {
    match session().await {
        Some(connection) => owner_present(&connection).await,
        None => false,
    }
}

/// Asks the running app for the token `selector` names: the token, [`Answer::NotRunning`],
/// or the app's refusal in its words.
pub async fn request_token(selector: &Selector) -> Result<Answer, String> {
    let Some(connection) = session().await else {
        return Ok(Answer::NotRunning);
    };
    if !owner_present(&connection).await {
        return Ok(Answer::NotRunning);
    }
    let arguments = (
        selector.account.as_str(),
        selector.app.as_deref().unwrap_or_default(),
        selector.provider.as_deref().unwrap_or_default(),
    );
    let reply = connection
        .call_method(
            Some(BUS_NAME),
            OBJECT_PATH,
            Some(INTERFACE),
            "Token",
            &arguments,
        )
        .await;
    match reply {
        Ok(message) => message
            .body()
            .deserialize::<String>()
            .map(|token| Answer::Token(SecretString::from(token)))
            .map_err(|err| format!("Authdeck answered something unreadable ({err}).")),
        Err(zbus::Error::MethodError(name, description, _)) => {
            // The app quit between the look and the call.
            if matches!(
                name.as_str(),
                "org.freedesktop.DBus.Error.ServiceUnknown"
                    | "org.freedesktop.DBus.Error.NameHasNoOwner"
            ) {
                return Ok(Answer::NotRunning);
            }
            Err(description.unwrap_or_else(|| name.to_string()))
        }
        Err(err) => Err(format!(
            "Authdeck is running but did not answer on the session bus ({err})."
        )),
    }
}
