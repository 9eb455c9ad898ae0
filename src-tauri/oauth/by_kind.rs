//! Provider calls by kind: one entry per question the services ask (refresh, who is this
//! token's account, revoke), dispatching to the Hivesigner-style dialects through
//! [`TokenClient`] or to the OAuth 2.0 and token-site modules. The services never match on a
//! provider's kind for these calls themselves.

use secrecy::SecretString;

use crate::apps::App;
use crate::oauth::protocol::{oauth2, token_site};
use crate::oauth::token::{CallError, ClientCredentials, Me, TokenClient, TokenGrant};
use crate::provider::KindSettings;

/// The app as an OAuth 2.0 client, for an app of that kind.
pub fn oauth2_client<'a>(
    app: &'a App,
    secret: Option<&'a SecretString>,
) -> Option<oauth2::Client<'a>> {
    app.provider.oauth2().map(|settings| oauth2::Client {
        client_id: &app.client_id,
        secret,
        settings,
    })
}

impl TokenClient {
    /// Trades `refresh_token` for new tokens at `app`'s provider. `secret` is the app's
    /// client secret where the kind sends one.
    pub async fn refresh_for(
        &self,
        app: &App,
        secret: Option<&SecretString>,
        refresh_token: &SecretString,
    ) -> Result<TokenGrant, CallError> {
        match app.provider.kind() {
            KindSettings::Signer => {
                let Some(client_secret) = secret else {
                    return Err(CallError::BadResponse(
                        "the app's client secret is needed to refresh".into(),
                    ));
                };
                let credentials = ClientCredentials {
                    client_id: &app.client_id,
                    client_secret,
                };
                let scope = app.scopes.request_string();
                self.refresh(&app.provider, credentials, refresh_token, &scope)
                    .await
            }
            KindSettings::OAuth2(settings) => {
                let client = oauth2::Client {
                    client_id: &app.client_id,
                    secret,
                    settings,
                };
                oauth2::refresh(self.http(), client, refresh_token).await
            }
            KindSettings::TokenSite(_) => Err(CallError::BadResponse(
                "a token site has no refresh tokens".into(),
            )),
        }
    }

    /// Who `access_token` belongs to, asked of `app`'s provider: `/api/me` (Hivesigner,
    /// Steemconnect, with the scopes it reports), the userinfo endpoint (OAuth 2.0), the
    /// identity path (token site). The last two report no scopes.
    pub async fn identify(&self, app: &App, access_token: &SecretString) -> Result<Me, CallError> {
        match app.provider.kind() {
            KindSettings::Signer => self.me(&app.provider, access_token).await,
            KindSettings::OAuth2(settings) => Ok(Me {
                user: oauth2::userinfo(self.http(), settings, access_token).await?,
                scope: Vec::new(),
            }),
            KindSettings::TokenSite(_) => Ok(Me {
                user: token_site::identity(self.http(), &app.provider, access_token).await?,
                scope: Vec::new(),
            }),
        }
    }

    /// Asks `app`'s provider to end the grant: Hivesigner's revoke call, RFC 7009 on an
    /// OAuth 2.0 server (the refresh token first). A token site has no revocation API
    /// (`Ok(false)`: the person revokes on its apps page). Returns whether the provider
    /// confirmed.
    pub async fn revoke_for(
        &self,
        app: &App,
        secret: Option<&SecretString>,
        access_token: &SecretString,
        refresh_token: Option<&SecretString>,
    ) -> Result<bool, CallError> {
        match app.provider.kind() {
            KindSettings::Signer => self
                .revoke(&app.provider, access_token)
                .await
                .map(|()| true),
            KindSettings::OAuth2(settings) => {
                let client = oauth2::Client {
                    client_id: &app.client_id,
                    secret,
                    settings,
                };
                oauth2::revoke(self.http(), client, access_token, refresh_token).await
            }
            KindSettings::TokenSite(_) => Ok(false),
        }
    }
}
