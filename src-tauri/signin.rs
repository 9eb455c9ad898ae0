//! [`SignIns`]: adding an account: start a sign-in (authorize URL, state, loopback listener,
//! deadline), take the provider's redirect from either path (or pasted), exchange, check what
//! the token says with the dialect and `/api/me`, and hand the tokens to `Tokens` and the
//! account to the registry. Nothing is stored unless every
//! step succeeded.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use crate::accounts::AccountView;
use crate::accounts::{AccountId, NewAccount};
use crate::apps::{App, AppId, AppScopes, Flow, RedirectMode};
use crate::clock::UnixSeconds;
use crate::error::{field, Error, Result};
use crate::events::{AppEvent, SignInProgress, SignInStage};
use crate::hive::account_name;
use crate::oauth::authorize::{self, Attempt, AttemptId, PendingAttempts};
use crate::oauth::by_kind;
use crate::oauth::callback::{self, Answer, Callback};
use crate::oauth::loopback::{self, Loopback, Reply};
use crate::oauth::protocol::{dialect, oauth2, token_site};
use crate::oauth::token::{CallError, ClientCredentials, Me, TokenGrant};
use crate::provider::KindSettings;
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

    /// Starts a sign-in for `app_id` (for `account`, when an account signs in again: the
    /// answer must then name it). Checks first that the keyring works and that the app's
    /// secret is stored where its kind sends one, so the person never consents in vain.
    pub async fn start_sign_in(
        self: &Arc<Self>,
        app_id: AppId,
        account: Option<AccountId>,
    ) -> Result<SignInStarted> {
        let app = self.shared.registry.app(app_id)?;
        let expected_username = match account {
            Some(id) => {
                let account = self.shared.registry.account(id)?;
                if account.app_id != app_id {
                    return Err(Error::AccountNotFound);
                }
                Some(account.username)
            }
            None => None,
        };
        self.shared.vault.check_available().await?;
        if app.needs_secret() {
            self.shared.vault.client_secret(&app).await?;
        }
        let id = self.attempts.next_id();
        let site = app.provider.token_site().cloned();
        let state = authorize::new_state();
        let listener = match (app.redirect, &site) {
            (RedirectMode::Loopback, None) => Some(
                loopback::listen(self.loopback_handler(Some(state.clone()), String::new()))
                    .await
                    .map_err(|err| Error::LoopbackUnavailable {
                        detail: err.to_string(),
                    })?,
            ),
            (RedirectMode::Loopback, Some(site)) => Some(
                loopback::listen_at(
                    site.loopback_port,
                    self.loopback_handler(None, format!("http://127.0.0.1:{}", site.loopback_port)),
                )
                    .await
                    .map_err(|err| Error::LoopbackUnavailable {
                        detail: format!(
                            "port {} (the one registered at the site for this app) is taken: {err}. Finish or cancel the other sign-in to this app, or close the program using the port",
                            site.loopback_port
                        ),
                    })?,
            ),
            (RedirectMode::CustomScheme, _) => None,
        };
        let redirect_uri = listener.as_ref().map_or_else(
            || DEEP_LINK_REDIRECT_URI.to_owned(),
            |listener| listener.redirect_uri(),
        );
        let (url, pkce_verifier) = self.consent_page(&app, &redirect_uri, &state)?;
        let now = self.shared.clock.now();
        let deadline =
            crate::oauth::token::expiry_after(now, self.shared.settings.sign_in_timeout.as_secs());
        let attempt = Attempt {
            id,
            app_id,
            // A token site sends no state back: its one waiting attempt is keyed by where
            // the answer arrives.
            state: match site {
                Some(_) => stateless_key(&redirect_uri),
                None => state,
            },
            redirect_uri: redirect_uri.clone(),
            flow: app.flow(),
            pkce_verifier,
            expected_username,
            started_at: now,
            deadline,
        };
        if !self.attempts.insert_alone(attempt) {
            return Err(Error::invalid(
                field::APP_ID,
                "A sign-in to a token site is already waiting for its answer at this address, and such a site sends nothing Authdeck could tell two answers apart by: finish or cancel that sign-in first.",
            ));
        }
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

    /// The consent page for `app`, and the PKCE verifier that goes with it (OAuth 2.0).
    fn consent_page(
        &self,
        app: &App,
        redirect_uri: &str,
        state: &str,
    ) -> Result<(url::Url, Option<SecretString>)> {
        match (&app.scopes, app.provider.kind()) {
            (AppScopes::Signer(scopes), _) => Ok((
                authorize::authorize_url(
                    &app.provider,
                    &app.client_id,
                    *scopes,
                    redirect_uri,
                    state,
                )?,
                None,
            )),
            (AppScopes::Listed(scopes), KindSettings::OAuth2(settings)) => {
                let client = oauth2::Client {
                    client_id: &app.client_id,
                    secret: None,
                    settings,
                };
                let request = oauth2::authorize_url(client, scopes, redirect_uri, state)?;
                Ok((request.url, Some(request.pkce_verifier)))
            }
            (AppScopes::Listed(_), _) => Ok((
                token_site::authorize_url(&app.provider, &app.client_id)?,
                None,
            )),
        }
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
        let now = self.shared.clock.now();
        let (attempt, answer) = match callback::parse(redirect) {
            Ok(callback) => (self.attempts.claim(&callback.state, now)?, Some(callback)),
            // No state: only a token site's answer, and only while its one attempt waits at
            // the address the answer came to; that attempt is used up by it, whatever follows.
            Err(callback::CallbackError::MissingState) => {
                let key = stateless_key(&answer_address(redirect));
                (self.attempts.claim(&key, now)?, None)
            }
            Err(err) => {
                return Err(Error::SignInAnswerInvalid {
                    problem: err.to_string(),
                })
            }
        };
        self.progress(attempt.id, SignInStage::Exchanging, None, None);
        let result = match answer {
            Some(callback) => self.finish(&attempt, callback).await,
            None => self.finish_token_site(&attempt, redirect).await,
        };
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
        if app.provider.token_site().is_some() {
            return Err(Error::SignInAnswerInvalid {
                problem: "it carries a state, which this token site does not send; the answer is not from it".into(),
            });
        }
        if let Some(settings) = app.provider.oauth2() {
            check_issuer(&app, settings.iss_required, callback.issuer.as_deref())?;
        }
        let named = callback.username.clone();
        let grant = self.grant(&app, attempt, callback).await?;
        let username = match &grant.username {
            Some(username) => username.clone(),
            None => self.identity_of(&app, &grant.access_token).await?.user,
        };
        for named in [named, grant.username.clone()].into_iter().flatten() {
            if named != username {
                return Err(Error::AccountMismatch {
                    expected: named,
                    reported: username,
                });
            }
        }
        let scopes = match app.provider.kind() {
            KindSettings::Signer => self.check_signer_answer(&app, &grant, &username).await?,
            _ => grant.scope.clone().unwrap_or_else(|| app.scopes.names()),
        };
        self.check_expected(attempt, &username)?;
        self.store(&app, grant, username, scopes).await
    }

    /// What a Hivesigner-style answer must also pass: the token names the account and the
    /// app it was issued to, and `/api/me` names the same account; returns the scopes
    /// `/api/me` reports.
    async fn check_signer_answer(
        &self,
        app: &App,
        grant: &TokenGrant,
        username: &str,
    ) -> Result<Vec<String>> {
        // A Hivesigner token names its account and its app too (a SteemLogin JWT is not read).
        let facts =
            dialect(app.provider.protocol()).issued_to(app, grant.access_token.expose_secret())?;
        if let Some(author) = facts
            .map(|facts| facts.author)
            .filter(|author| author != username)
        {
            return Err(Error::AccountMismatch {
                expected: username.to_owned(),
                reported: author,
            });
        }
        let me = self.identity_of(app, &grant.access_token).await?;
        if me.user != username {
            return Err(Error::AccountMismatch {
                expected: username.to_owned(),
                reported: me.user,
            });
        }
        account_name::check(username).map_err(|problem| Error::ProviderBadResponse {
            provider: app.provider.host(),
            problem: format!("the account name it signed in is not valid: {problem}"),
        })?;
        Ok(me.scope)
    }

    /// Who the provider says `access_token` belongs to.
    async fn identity_of(&self, app: &App, access_token: &SecretString) -> Result<Me> {
        let me = self
            .shared
            .provider_calls
            .identify(app, access_token)
            .await
            .map_err(|err| err.into_error(&app.provider, &app.client_id))?;
        if me.user.is_empty() || me.user.len() > 256 || me.user.chars().any(char::is_control) {
            return Err(Error::ProviderBadResponse {
                provider: app.provider.host(),
                problem: "the account name it reports is empty or not printable".into(),
            });
        }
        Ok(me)
    }

    /// Refuses an answer naming another account than the one signing in again.
    fn check_expected(&self, attempt: &Attempt, username: &str) -> Result<()> {
        match &attempt.expected_username {
            Some(expected) if expected != username => Err(Error::AccountMismatch {
                expected: expected.clone(),
                reported: username.to_owned(),
            }),
            _ => Ok(()),
        }
    }

    /// A token site's answer: the token from its parameter, accepted only once an identity
    /// request with it names the account.
    async fn finish_token_site(&self, attempt: &Attempt, redirect: &str) -> Result<AccountView> {
        let app = self.shared.registry.app(attempt.app_id)?;
        let Some(site) = app.provider.token_site() else {
            return Err(Error::SignInAnswerInvalid {
                problem: callback::CallbackError::MissingState.to_string(),
            });
        };
        let access_token = match token_site::parse_redirect(redirect, site)
            .map_err(|problem| Error::SignInAnswerInvalid { problem })?
        {
            token_site::SiteAnswer::Token(token) => token,
            token_site::SiteAnswer::Refused { error } if error == "access_denied" => {
                return Err(Error::SignInDenied {
                    provider: app.provider.host(),
                })
            }
            token_site::SiteAnswer::Refused { error } => {
                return Err(Error::ProviderRefused {
                    provider: app.provider.host(),
                    code: redact(&error).into_owned(),
                    description: "the site refused the sign-in".into(),
                })
            }
        };
        self.add_site_token(&app, access_token, attempt.expected_username.as_deref())
            .await
    }

    /// Adds the account a token site's `access_token` belongs to (a redirect's, or a personal
    /// token the person pasted), after one identity request confirms the token works.
    async fn add_site_token(
        &self,
        app: &App,
        access_token: SecretString,
        expected: Option<&str>,
    ) -> Result<AccountView> {
        // A new token the site refuses is a failed sign-in, not an account that lapsed.
        let me = self
            .identity_of(app, &access_token)
            .await
            .map_err(|err| match err {
                Error::NeedsSignIn { .. } => Error::SignInTokenRefused {
                    reason: "the identity request with it was refused".into(),
                },
                other => other,
            })?;
        if let Some(expected) = expected.filter(|expected| *expected != me.user) {
            return Err(Error::AccountMismatch {
                expected: expected.to_owned(),
                reported: me.user,
            });
        }
        let grant = TokenGrant {
            access_token,
            refresh_token: None,
            expires_in: None,
            username: Some(me.user.clone()),
            scope: None,
        };
        self.store(app, grant, me.user, Vec::new()).await
    }

    /// Adds a token site account from a personal access token the site sent the person: it
    /// goes to the keyring (never shown again) once one identity request confirms it.
    pub async fn add_personal_token(
        &self,
        app_id: AppId,
        token: SecretString,
    ) -> Result<AccountView> {
        let app = self.shared.registry.app(app_id)?;
        if app.provider.token_site().is_none() {
            return Err(Error::invalid(
                field::APP_ID,
                "Only a token site's apps take a pasted personal token; sign in to this app instead.",
            ));
        }
        let text = token.expose_secret().trim();
        if text.is_empty()
            || text.len() > 4096
            || text.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(Error::invalid(
                field::TOKEN,
                "Paste the token exactly as the site sent it: one piece of text without spaces or line breaks.",
            ));
        }
        let token = SecretString::from(text.to_owned());
        self.shared.vault.check_available().await?;
        let view = self.add_site_token(&app, token, None).await?;
        tracing::info!(account = view.account.id.0, "personal token added");
        Ok(view)
    }

    async fn grant(&self, app: &App, attempt: &Attempt, callback: Callback) -> Result<TokenGrant> {
        match (callback.answer, attempt.flow) {
            (Answer::Code(code), Flow::Code) if app.provider.oauth2().is_some() => {
                let secret = if app.needs_secret() {
                    Some(self.shared.vault.client_secret(app).await?)
                } else {
                    None
                };
                let verifier = attempt.pkce_verifier.as_ref().ok_or_else(|| {
                    Error::Internal("an OAuth 2.0 sign-in without its PKCE verifier".into())
                })?;
                let Some(client) = by_kind::oauth2_client(app, secret.as_ref()) else {
                    return Err(Error::Internal("not an OAuth 2.0 app".into()));
                };
                oauth2::exchange(
                    self.shared.provider_calls.http(),
                    client,
                    &code,
                    verifier,
                    &attempt.redirect_uri,
                )
                .await
                .map_err(|err| match err.into_error(&app.provider, &app.client_id) {
                    // Strict servers say the same for every cause: the words are Authdeck's.
                    Error::NeedsSignIn { .. } => Error::SignInCodeRefused {
                        reason: "invalid_grant: the server did not accept the code with this sign-in's PKCE verifier and redirect URI".into(),
                    },
                    other => other,
                })
            }
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
            ) => {
                Ok(TokenGrant {
                    access_token,
                    refresh_token: None,
                    expires_in: Some(expires_in),
                    username: Some(callback.username.ok_or_else(|| {
                        Error::SignInAnswerInvalid {
                            problem: "it does not name the account".into(),
                        }
                    })?),
                    scope: None,
                })
            }
            (Answer::Refused { error, .. }, _) if error == "access_denied" => {
                Err(Error::SignInDenied {
                    provider: app.provider.host(),
                })
            }
            // An OAuth 2.0 error redirect: RFC 6749 4.1.2.1 codes, in Authdeck's words.
            (Answer::Refused { error, description }, _) if app.provider.oauth2().is_some() => {
                let refused = CallError::Refused {
                    status: 400,
                    error,
                    description: redact(description.as_deref().unwrap_or_default()).into_owned(),
                    raw: String::new(),
                };
                Err(refused.into_error(&app.provider, &app.client_id))
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
        username: String,
        scopes: Vec<String>,
    ) -> Result<AccountView> {
        let now = self.shared.clock.now();
        let new = NewAccount {
            app_id: app.id,
            username,
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
    /// `state`: the attempt's; `None` for a token site's attempt, whose answer carries none
    /// (the listener's fixed port, `origin`, is its only address, and the attempt is used
    /// once).
    fn loopback_handler(
        self: &Arc<Self>,
        state: Option<String>,
        origin: String,
    ) -> loopback::Handler {
        let core: Weak<Self> = Arc::downgrade(self);
        Arc::new(move |target: String| {
            let core = core.clone();
            let state = state.clone();
            let origin = origin.clone();
            Box::pin(async move {
                let for_this_attempt = match (&state, callback::parse(&target)) {
                    (Some(state), Ok(callback)) => callback.state == *state,
                    (None, Err(callback::CallbackError::MissingState)) => true,
                    _ => false,
                };
                let Some(core) = core.upgrade().filter(|_| for_this_attempt) else {
                    return Reply {
                        finished: false,
                        title: "Not this sign-in".into(),
                        message: "This answer does not belong to the sign-in Authdeck is waiting for. Start the sign-in again from Authdeck.".into(),
                    };
                };
                let target = match &state {
                    Some(_) => target,
                    // The request target is a path; the attempt is keyed by the full address.
                    None => format!("{origin}{target}"),
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

/// The key under which a sign-in without `state` waits: its redirect URI.
fn stateless_key(redirect_uri: &str) -> String {
    format!("no-state:{redirect_uri}")
}

/// Where an answer arrived, without its query: `authdeck://callback`,
/// `http://127.0.0.1:PORT/callback`.
fn answer_address(redirect: &str) -> String {
    let address = redirect.split(['?', '#']).next().unwrap_or_default();
    address.trim_end_matches('/').to_owned()
}

/// RFC 9207: the `iss` of an OAuth 2.0 redirect must be the app's issuer when present, and
/// present when the server's metadata says it sends one.
fn check_issuer(app: &App, required: bool, issuer: Option<&str>) -> Result<()> {
    match issuer {
        Some(issuer) if issuer.trim_end_matches('/') == app.provider.base_url() => Ok(()),
        Some(_) => Err(Error::SignInAnswerInvalid {
            problem: "it names another server as its issuer (iss), so it may not come from this app's server; nothing was sent to the token endpoint".into(),
        }),
        None if required => Err(Error::SignInAnswerInvalid {
            problem: "it carries no iss, which this server always sends; the answer may not come from it".into(),
        }),
        None => Ok(()),
    }
}
