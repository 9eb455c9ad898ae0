//! [`SignIns`]: adding an account: start a sign-in (authorize URL, state, loopback listener,
//! deadline), take the provider's redirect from either path (or pasted), exchange, check what
//! the token says with the dialect and `/api/me`, and hand the tokens to `Tokens` and the
//! account to the registry. Nothing is stored unless every
//! step succeeded.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use secrecy::ExposeSecret;
use serde::Serialize;

use crate::accounts::AccountView;
use crate::accounts::{AccountId, NewAccount};
use crate::apps::{App, AppId, Flow, RedirectMode};
use crate::clock::UnixSeconds;
use crate::error::{field, Error, Result};
use crate::events::{AppEvent, SignInProgress, SignInStage};
use crate::hive::account_name;
use crate::oauth::authorize::{self, Attempt, AttemptId, PendingAttempts};
use crate::oauth::callback::{self, Answer, Callback};
use crate::oauth::loopback::{self, Loopback, Reply};
use crate::oauth::protocol::dialect;
use crate::oauth::token::{ClientCredentials, TokenGrant};
use crate::redact::redact;
use crate::shared::Shared;
use crate::tokens::Tokens;

/// The custom-scheme redirect URI.
pub const DEEP_LINK_REDIRECT_URI: &str = "authdeck://callback";

/// A sign-in that is waiting for the browser.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInStarted {
    /// The attempt, for progress events and cancelling.
    pub attempt_id: AttemptId,
    /// The consent page being opened (copyable, for a browser on another profile).
    pub authorize_url: String,
    /// Where the provider will send the person back.
    pub redirect_uri: String,
    /// When the attempt gives up (Unix seconds).
    pub expires_at: UnixSeconds,
}

/// Adding accounts: attempts, loopback listeners, checking the provider's answer; the tokens
/// go to [`Tokens`].
pub struct SignIns {
    shared: Shared,
    tokens: Arc<Tokens>,
    attempts: PendingAttempts,
    listeners: Mutex<HashMap<AttemptId, Loopback>>,
}

impl SignIns {
    /// The sign-in service over `shared`, handing tokens to `tokens`.
    pub fn new(shared: Shared, tokens: Arc<Tokens>) -> Self {
        Self {
            shared,
            tokens,
            attempts: PendingAttempts::default(),
            listeners: Mutex::default(),
        }
    }

    fn listeners(&self) -> std::sync::MutexGuard<'_, HashMap<AttemptId, Loopback>> {
        self.listeners.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts a sign-in for `app_id`. Checks first that the keyring works and, for the code
    /// flow, that the app's secret is stored, so the person never consents in vain.
    pub async fn start_sign_in(self: &Arc<Self>, app_id: AppId) -> Result<SignInStarted> {
        let app = self.shared.registry.app(app_id)?;
        self.shared.vault.check_available().await?;
        if app.scopes.flow() == Flow::Code {
            self.shared.vault.client_secret(&app).await?;
        }
        let id = self.attempts.next_id();
        let state = authorize::new_state();
        let listener = match app.redirect {
            RedirectMode::Loopback => Some(
                loopback::listen(self.loopback_handler(state.clone()))
                    .await
                    .map_err(|err| Error::LoopbackUnavailable {
                        detail: err.to_string(),
                    })?,
            ),
            RedirectMode::CustomScheme => None,
        };
        let redirect_uri = listener.as_ref().map_or_else(
            || DEEP_LINK_REDIRECT_URI.to_owned(),
            |listener| listener.redirect_uri(),
        );
        let url = authorize::authorize_url(
            &app.provider,
            &app.client_id,
            app.scopes,
            &redirect_uri,
            &state,
        )?;
        let now = self.shared.clock.now();
        let deadline =
            crate::oauth::token::expiry_after(now, self.shared.settings.sign_in_timeout.as_secs());
        self.attempts.insert(Attempt {
            id,
            app_id,
            state,
            redirect_uri: redirect_uri.clone(),
            flow: app.scopes.flow(),
            started_at: now,
            deadline,
        });
        if let Some(listener) = listener {
            self.listeners().insert(id, listener);
        }
        self.close_at_deadline(id);
        self.progress(id, SignInStage::Waiting, None, None);
        tracing::info!(attempt = id.0, app = %app.client_id, "sign-in started");
        Ok(SignInStarted {
            attempt_id: id,
            authorize_url: url.to_string(),
            redirect_uri,
            expires_at: deadline,
        })
    }

    /// Cancels a waiting sign-in; its redirect, if it still comes, is refused.
    pub fn cancel_sign_in(&self, id: AttemptId) -> Result<()> {
        self.listeners().remove(&id);
        match self.attempts.cancel(id) {
            Some(_) => {
                self.progress(id, SignInStage::Failed, None, Some(Error::SignInCancelled));
                Ok(())
            }
            None => Err(Error::invalid(
                field::ATTEMPT_ID,
                "That sign-in is no longer waiting (it finished, failed or timed out).",
            )),
        }
    }

    /// Completes a sign-in from the provider's redirect (a deep link or a loopback request).
    pub async fn complete_sign_in(&self, redirect: &str) -> Result<AccountView> {
        let callback = callback::parse(redirect).map_err(|err| Error::SignInAnswerInvalid {
            problem: err.to_string(),
        })?;
        let attempt = self
            .attempts
            .claim(&callback.state, self.shared.clock.now())?;
        self.progress(attempt.id, SignInStage::Exchanging, None, None);
        let result = self.finish(&attempt, callback).await;
        self.listeners().remove(&attempt.id);
        match &result {
            Ok(view) => {
                tracing::info!(
                    attempt = attempt.id.0,
                    account = view.account.id.0,
                    "sign-in completed"
                );
                self.progress(
                    attempt.id,
                    SignInStage::Completed,
                    Some(view.account.id),
                    None,
                );
            }
            Err(err) => {
                tracing::warn!(attempt = attempt.id.0, code = err.code(), "sign-in failed");
                self.progress(attempt.id, SignInStage::Failed, None, Some(err.clone()));
            }
        }
        result
    }

    /// Completes a sign-in from an address the person pasted (the one their browser ended on,
    /// when the redirect did not come back by itself). Only the two shapes a real redirect
    /// has are taken: an `authdeck://callback?...` link, or this sign-in's loopback address
    /// `http://127.0.0.1:<its port>/callback?...`; the answer then goes through
    /// [`Self::complete_sign_in`], so the same parser and state check apply, and the
    /// attempt's listener is closed when it completes.
    pub async fn complete_pasted(&self, address: &str) -> Result<AccountView> {
        let address = address.trim();
        self.check_pasted_shape(address)?;
        self.complete_sign_in(address).await
    }

    /// Refuses a pasted address that is neither an `authdeck://callback?...` link nor the
    /// loopback redirect of a waiting sign-in (its listener's `redirect_uri` and a query).
    fn check_pasted_shape(&self, address: &str) -> Result<()> {
        if crate::deep_link::check(address).is_ok() {
            return Ok(());
        }
        let loopback_shaped = url::Url::parse(address).is_ok_and(|url| {
            url.scheme() == "http"
                && url.host_str() == Some("127.0.0.1")
                && url.path() == loopback::CALLBACK_PATH
        });
        if !loopback_shaped {
            return Err(Error::invalid(
                field::ADDRESS,
                "This is not the address a sign-in ends on: paste the whole address from the browser's address bar (it starts with authdeck://callback or http://127.0.0.1:).",
            ));
        }
        let waiting = self
            .listeners()
            .values()
            .any(|listener| address.starts_with(&format!("{}?", listener.redirect_uri())));
        if !waiting {
            return Err(Error::invalid(
                field::ADDRESS,
                "This address belongs to a sign-in Authdeck is no longer waiting for (it finished, failed or timed out, or its port is another one); start the sign-in again and paste the address the browser ends on then.",
            ));
        }
        Ok(())
    }

    async fn finish(&self, attempt: &Attempt, callback: Callback) -> Result<AccountView> {
        let app = self.shared.registry.app(attempt.app_id)?;
        let named = callback.username.clone();
        let grant = self.grant(&app, attempt, callback).await?;
        if let Some(named) = named.filter(|named| *named != grant.username) {
            return Err(Error::AccountMismatch {
                expected: named,
                reported: grant.username,
            });
        }
        // A Hivesigner token names its account and its app too (a SteemLogin JWT is not read).
        let facts =
            dialect(app.provider.protocol()).issued_to(&app, grant.access_token.expose_secret())?;
        if let Some(author) = facts
            .map(|facts| facts.author)
            .filter(|author| *author != grant.username)
        {
            return Err(Error::AccountMismatch {
                expected: grant.username,
                reported: author,
            });
        }
        let me = self
            .shared
            .provider_calls
            .me(&app.provider, &grant.access_token)
            .await
            .map_err(|err| err.into_error(&app.provider, &app.client_id))?;
        if me.user != grant.username {
            return Err(Error::AccountMismatch {
                expected: grant.username,
                reported: me.user,
            });
        }
        account_name::check(&grant.username).map_err(|problem| Error::ProviderBadResponse {
            provider: app.provider.host(),
            problem: format!("the account name it signed in is not valid: {problem}"),
        })?;
        self.store(&app, grant, me.scope).await
    }

    async fn grant(&self, app: &App, attempt: &Attempt, callback: Callback) -> Result<TokenGrant> {
        match (callback.answer, attempt.flow) {
            (Answer::Code(code), Flow::Code) => {
                // A code for another app is refused before the app's secret goes out with it.
                dialect(app.provider.protocol()).issued_to(app, code.expose_secret())?;
                let secret = self.shared.vault.client_secret(app).await?;
                let credentials = ClientCredentials {
                    client_id: &app.client_id,
                    client_secret: &secret,
                };
                self.shared
                    .provider_calls
                    .exchange_code(&app.provider, credentials, &code)
                    .await
                    .map_err(|err| match err.into_error(&app.provider, &app.client_id) {
                        // Not an account that needs signing in again: this sign-in's code.
                        Error::NeedsSignIn { reason } => Error::SignInCodeRefused { reason },
                        other => other,
                    })
            }
            (
                Answer::Token {
                    access_token,
                    expires_in,
                },
                Flow::Implicit,
            ) => Ok(TokenGrant {
                access_token,
                refresh_token: None,
                expires_in,
                username: callback
                    .username
                    .ok_or_else(|| Error::SignInAnswerInvalid {
                        problem: "it does not name the account".into(),
                    })?,
            }),
            (Answer::Refused { error, .. }, _) if error == "access_denied" => {
                Err(Error::SignInDenied {
                    provider: app.provider.host(),
                })
            }
            (Answer::Refused { error, description }, _) => Err(Error::ProviderRefused {
                provider: app.provider.host(),
                description: redact(description.as_deref().unwrap_or("the sign-in was refused"))
                    .into_owned(),
                code: error,
            }),
            (Answer::Code(_), Flow::Implicit) => Err(Error::SignInAnswerInvalid {
                problem: "a code arrived for a sign-in without refresh (no offline scope)".into(),
            }),
            (Answer::Token { .. }, Flow::Code) => Err(Error::SignInAnswerInvalid {
                problem: "an access token arrived where a code was expected".into(),
            }),
        }
    }

    async fn store(
        &self,
        app: &App,
        grant: TokenGrant,
        scopes: Vec<String>,
    ) -> Result<AccountView> {
        let now = self.shared.clock.now();
        let new = NewAccount {
            app_id: app.id,
            username: grant.username.clone(),
            scopes,
            flow: if grant.refresh_token.is_some() {
                Flow::Code
            } else {
                Flow::Implicit
            },
            issued_at: now,
            expires_at: grant.expires_at(now),
        };
        let registry = &self.shared.registry;
        let id = self
            .tokens
            .keep_signed_in(app, &new, grant, || registry.upsert_account(&new, now))
            .await?;
        self.shared.emit(AppEvent::AccountsChanged);
        self.shared.registry.account_view(id)
    }

    /// The loopback listener's handler for one attempt: only redirects carrying that
    /// attempt's state end it; anything else gets an explanation and the listener waits on.
    fn loopback_handler(self: &Arc<Self>, state: String) -> loopback::Handler {
        let core: Weak<Self> = Arc::downgrade(self);
        Arc::new(move |target: String| {
            let core = core.clone();
            let state = state.clone();
            Box::pin(async move {
                let for_this_attempt = callback::parse(&target)
                    .map(|callback| callback.state == state)
                    .unwrap_or(false);
                let Some(core) = core.upgrade().filter(|_| for_this_attempt) else {
                    return Reply {
                        finished: false,
                        title: "Not this sign-in".into(),
                        message: "This answer does not belong to the sign-in Authdeck is waiting for. Start the sign-in again from Authdeck.".into(),
                    };
                };
                match core.complete_sign_in(&target).await {
                    Ok(view) => Reply {
                        finished: true,
                        title: "Signed in".into(),
                        message: format!(
                            "@{} is now in Authdeck. You can close this tab.",
                            view.account.username
                        ),
                    },
                    Err(err) => Reply {
                        finished: true,
                        title: "Sign-in failed".into(),
                        message: format!("{} You can close this tab.", err.message()),
                    },
                }
            })
        })
    }

    /// Ends attempt `id` when its time is up, unless it finished before.
    fn close_at_deadline(self: &Arc<Self>, id: AttemptId) {
        let core = Arc::downgrade(self);
        let timeout = self.shared.settings.sign_in_timeout;
        tokio::spawn(async move {
            tokio::time::sleep(timeout).await;
            let Some(core) = core.upgrade() else { return };
            core.listeners().remove(&id);
            if let Some(attempt) = core.attempts.expire(id) {
                tracing::info!(attempt = id.0, "sign-in timed out");
                core.progress(id, SignInStage::Failed, None, Some(attempt.expired_error()));
            }
        });
    }

    fn progress(
        &self,
        attempt_id: AttemptId,
        stage: SignInStage,
        account_id: Option<AccountId>,
        error: Option<Error>,
    ) {
        self.shared.emit(AppEvent::SignIn(SignInProgress {
            attempt_id,
            stage,
            account_id,
            error,
        }));
    }
}
