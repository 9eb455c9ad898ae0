//! App registrations: what a person registers once per app (provider, client id, scopes,
//! redirect mode, client secret), checked field by field.

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::error::{field, Error, Result};
use crate::hive::account_name;
use crate::provider::{Preset, Provider};

/// A registered app's id in the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AppId(pub i64);

/// What the tokens may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Identity only (`login`).
    Login,
    /// Posting operations (`posting`).
    Posting,
}

/// How tokens are obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flow {
    /// Code flow with `offline`: refresh tokens, Authdeck keeps the account fresh.
    Code,
    /// Implicit flow: an access token for 7 days, then sign in again.
    Implicit,
}

impl Flow {
    /// The stable name stored in the registry.
    pub fn id(self) -> &'static str {
        match self {
            Flow::Code => "code",
            Flow::Implicit => "implicit",
        }
    }

    /// The flow named `id`.
    pub fn from_id(id: &str) -> Option<Flow> {
        [Flow::Code, Flow::Implicit]
            .into_iter()
            .find(|flow| flow.id() == id)
    }
}

/// The scopes an app asks for. Hivesigner honours only three: `login`, `posting`, `offline`
/// (which forces posting and the code flow), so that is all Authdeck offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scopes {
    /// Identity only, or posting.
    pub access: Access,
    /// Refresh tokens through the code flow.
    pub offline: bool,
}

impl Scopes {
    /// Reads the scope names a form sends; refuses unknown names and `login` with `offline`.
    pub fn parse(names: &[String]) -> Result<Self> {
        let mut login = false;
        let mut posting = false;
        let mut offline = false;
        for name in names {
            match name.trim() {
                "login" => login = true,
                "posting" => posting = true,
                "offline" => offline = true,
                other => {
                    return Err(Error::invalid(
                        field::SCOPES,
                        format!("The scope '{other}' is not one Hivesigner honours; choose from login, posting and offline."),
                    ))
                }
            }
        }
        let access = match (login, posting) {
            (_, true) => Access::Posting,
            (true, false) => Access::Login,
            (false, false) if offline => Access::Posting,
            (false, false) => {
                return Err(Error::invalid(
                    field::SCOPES,
                    "Choose what the app may do: posting (vote, comment, ...) or login (identity only).",
                ))
            }
        };
        if login && !posting && offline {
            return Err(Error::invalid(
                field::SCOPES,
                "The provider turns login with offline into posting: choose posting with offline, or login alone.",
            ));
        }
        Ok(Self { access, offline })
    }

    /// The flow these scopes lead to.
    pub fn flow(self) -> Flow {
        if self.offline {
            Flow::Code
        } else {
            Flow::Implicit
        }
    }

    /// The names, as stored and shown: `login`, `posting`, `posting,offline`.
    pub fn names(self) -> Vec<&'static str> {
        let mut names = vec![match self.access {
            Access::Login => "login",
            Access::Posting => "posting",
        }];
        if self.offline {
            names.push("offline");
        }
        names
    }

    /// The `scope` parameter of the authorize URL.
    pub fn request_string(self) -> String {
        self.names().join(",")
    }
}

/// How the provider's redirect reaches Authdeck.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RedirectMode {
    /// `http://127.0.0.1:<any port>/callback`, a one-shot listener (RFC 8252). Hivesigner's
    /// current rules require it.
    Loopback,
    /// `authdeck://callback`, a deep link into the running app (older provider UIs).
    CustomScheme,
}

impl RedirectMode {
    /// The stable name stored in the registry.
    pub fn id(self) -> &'static str {
        match self {
            RedirectMode::Loopback => "loopback",
            RedirectMode::CustomScheme => "custom_scheme",
        }
    }

    /// The mode named `id`.
    pub fn from_id(id: &str) -> Option<Self> {
        [RedirectMode::Loopback, RedirectMode::CustomScheme]
            .into_iter()
            .find(|mode| mode.id() == id)
    }

    /// The redirect URI to register at the provider for this mode.
    pub fn registered_uri(self) -> &'static str {
        match self {
            RedirectMode::Loopback => "http://127.0.0.1/callback",
            RedirectMode::CustomScheme => "authdeck://callback",
        }
    }
}

/// A registered app, as the registry keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    /// Its id.
    pub id: AppId,
    /// Where its users sign in.
    pub provider: Provider,
    /// The app's account name.
    pub client_id: String,
    /// What it asks for.
    pub scopes: Scopes,
    /// How redirects come back.
    pub redirect: RedirectMode,
    /// Whether a client secret is in the keyring.
    pub secret_set: bool,
}

/// A registration as the form sends it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppInput {
    /// A [`Preset`] id.
    pub preset: String,
    /// The base URL, for a Hivesigner-compatible server.
    #[serde(default)]
    pub base_url: Option<String>,
    /// The app's account name.
    pub client_id: String,
    /// Scope names.
    pub scopes: Vec<String>,
    /// A [`RedirectMode`] id; the preset's default when absent.
    #[serde(default)]
    pub redirect_mode: Option<String>,
    /// The client secret; `None` keeps the stored one (on edit) or stores none.
    #[serde(default)]
    pub client_secret: Option<SecretString>,
}

/// A registration that passed every check.
#[derive(Debug)]
pub struct ValidApp {
    /// Where its users sign in.
    pub provider: Provider,
    /// The app's account name.
    pub client_id: String,
    /// What it asks for.
    pub scopes: Scopes,
    /// How redirects come back.
    pub redirect: RedirectMode,
    /// A new client secret, if one was given.
    pub client_secret: Option<SecretString>,
}

impl AppInput {
    /// Checks a new registration: every field as [`Self::validate`] does, and the client
    /// secret for an app that asks for `offline` (on an edit, a missing secret keeps the
    /// stored one, so only a registration must bring it).
    pub fn validate_registration(self) -> Result<ValidApp> {
        let valid = self.validate()?;
        if valid.scopes.flow() == Flow::Code && valid.client_secret.is_none() {
            return Err(Error::invalid(
                field::CLIENT_SECRET,
                "Refresh tokens (offline) use the code flow, which needs the app's client secret: enter the secret you chose when you registered the app at the provider, or untick offline.",
            ));
        }
        Ok(valid)
    }

    /// Checks every field; the first wrong one is reported with what would be right.
    pub fn validate(self) -> Result<ValidApp> {
        let preset = Preset::from_id(self.preset.trim()).ok_or_else(|| {
            Error::invalid(field::PRESET, "Choose a provider: Hivesigner, SteemLogin, a Hivesigner-compatible server or the local sandbox.")
        })?;
        // With the preset known, whatever `Provider::new` refuses is the base URL.
        let provider =
            Provider::new(preset, self.base_url.as_deref()).map_err(|err| match err {
                Error::InvalidInput { problem, .. } => Error::invalid(field::BASE_URL, problem),
                other => other,
            })?;
        let client_id = self.client_id.trim().trim_start_matches('@').to_owned();
        if client_id.is_empty() {
            return Err(Error::invalid(
                field::CLIENT_ID,
                "Enter the app's account name (its client id at the provider), for example myapp.",
            ));
        }
        account_name::check(&client_id).map_err(|problem| {
            Error::invalid(
                field::CLIENT_ID,
                format!("The client id is not an account name: {problem}."),
            )
        })?;
        let scopes = Scopes::parse(&self.scopes)?;
        let redirect = match self.redirect_mode.as_deref().map(str::trim) {
            None | Some("") => RedirectMode::Loopback,
            Some(id) => RedirectMode::from_id(id).ok_or_else(|| {
                Error::invalid(
                    field::REDIRECT_MODE,
                    "Choose how people come back: loopback (http://127.0.0.1) or custom scheme (authdeck://).",
                )
            })?,
        };
        let client_secret = match self.client_secret {
            Some(secret) if secrecy::ExposeSecret::expose_secret(&secret).trim().is_empty() => {
                return Err(Error::invalid(
                    field::CLIENT_SECRET,
                    "The client secret is empty: enter the one you chose at the provider, or leave the field untouched to keep the stored one.",
                ))
            }
            other => other,
        };
        Ok(ValidApp {
            provider,
            client_id,
            scopes,
            redirect,
            client_secret,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|name| name.to_string()).collect()
    }

    #[test]
    fn scopes_follow_what_hivesigner_honours() {
        let code = Scopes::parse(&names(&["posting", "offline"])).unwrap();
        assert_eq!(
            (code.flow(), code.request_string()),
            (Flow::Code, "posting,offline".into())
        );
        let offline_alone = Scopes::parse(&names(&["offline"])).unwrap();
        assert_eq!(offline_alone.access, Access::Posting);
        let login = Scopes::parse(&names(&["login"])).unwrap();
        assert_eq!(
            (login.flow(), login.request_string()),
            (Flow::Implicit, "login".into())
        );
    }

    #[test]
    fn scopes_refuse_what_the_provider_would_change_or_ignore() {
        for (list, needle) in [
            (
                &["login", "offline"][..],
                "turns login with offline into posting",
            ),
            (&["vote"][..], "The scope 'vote' is not one"),
            (&[][..], "Choose what the app may do"),
        ] {
            let err = Scopes::parse(&names(list)).unwrap_err();
            assert!(err.to_string().contains(needle), "{list:?}: {err}");
        }
    }

    fn input(preset: &str, client_id: &str) -> AppInput {
        AppInput {
            preset: preset.into(),
            base_url: None,
            client_id: client_id.into(),
            scopes: names(&["posting", "offline"]),
            redirect_mode: None,
            client_secret: Some("s3cret".to_owned().into()),
        }
    }

    #[test]
    fn a_good_registration_defaults_to_the_loopback_redirect() {
        let app = input("hivesigner", " @myapp ").validate().unwrap();
        assert_eq!(app.client_id, "myapp");
        assert_eq!(app.redirect, RedirectMode::Loopback);
    }

    #[test]
    fn each_bad_field_is_named() {
        let cases = [
            (input("nope", "myapp"), field::PRESET),
            (input("hivesigner", "My App"), field::CLIENT_ID),
            (input("hivesigner", " @ "), field::CLIENT_ID),
            (input("hivesigner_compatible", "myapp"), field::BASE_URL),
            (
                AppInput {
                    base_url: Some("http://signer.example.com".into()),
                    ..input("hivesigner_compatible", "myapp")
                },
                field::BASE_URL,
            ),
            (
                AppInput {
                    scopes: names(&["vote"]),
                    ..input("hivesigner", "myapp")
                },
                field::SCOPES,
            ),
            (
                AppInput {
                    client_secret: Some("  ".to_owned().into()),
                    ..input("hivesigner", "myapp")
                },
                field::CLIENT_SECRET,
            ),
            (
                AppInput {
                    redirect_mode: Some("carrier-pigeon".into()),
                    ..input("hivesigner", "myapp")
                },
                field::REDIRECT_MODE,
            ),
        ];
        for (input, expected) in cases {
            match input.validate() {
                Err(Error::InvalidInput { field, problem }) => {
                    assert_eq!(field, expected, "{problem}");
                    // The base URL's messages are `Provider::new`'s own (provider.rs).
                    assert!(
                        field == field::BASE_URL
                            || problem.starts_with(char::is_uppercase) && problem.ends_with('.'),
                        "a sentence on its own: {problem}"
                    );
                }
                other => panic!("{expected}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_field_keys_are_the_names_the_form_sends() {
        let sent = serde_json::json!({
            field::PRESET: "hivesigner_compatible",
            field::BASE_URL: "https://signer.example.com",
            field::CLIENT_ID: "myapp",
            field::CLIENT_SECRET: "s3cret",
            field::SCOPES: ["posting"],
            field::REDIRECT_MODE: "custom_scheme",
        });
        let input: AppInput = serde_json::from_value(sent).unwrap();
        assert_eq!(
            input.base_url.as_deref(),
            Some("https://signer.example.com")
        );
        assert_eq!(input.redirect_mode.as_deref(), Some("custom_scheme"));
        assert!(input.client_secret.is_some());
        let app = input.validate().unwrap();
        assert_eq!(
            (app.client_id.as_str(), app.redirect),
            ("myapp", RedirectMode::CustomScheme)
        );
    }

    #[test]
    fn a_code_flow_registration_needs_the_client_secret() {
        let without_secret = || AppInput {
            client_secret: None,
            ..input("hivesigner", "myapp")
        };
        match without_secret().validate_registration() {
            Err(Error::InvalidInput {
                field: named,
                problem,
            }) => {
                assert_eq!(named, field::CLIENT_SECRET);
                assert!(
                    problem.contains("code flow") && problem.contains("client secret"),
                    "{problem}"
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(input("hivesigner", "myapp").validate_registration().is_ok());
        // The implicit flow needs no secret; an edit without one keeps the stored secret.
        let implicit = AppInput {
            scopes: names(&["posting"]),
            ..without_secret()
        };
        assert!(implicit.validate_registration().is_ok());
        assert!(without_secret().validate().is_ok());
    }
}
