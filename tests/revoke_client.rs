//! The core's token client against the fake Hivesigner: a revoke goes out in the
//! `Authorization` header and is understood by both dialects. (Moved from the fake's own tests,
//! `crates/fake-hivesigner/tests/fake_hivesigner.rs`, which cannot depend on the core.)

use std::time::Duration;

use authdeck::oauth::token::{CallError, TokenClient};
use authdeck::provider::{Preset, Provider};
use fake_hivesigner::{Dialect, Endpoint, FakeConfig, FakeHivesigner, TokenKind, TOKEN_PREFIX};
use secrecy::SecretString;

const APP: &str = "myapp";

/// A fake speaking `dialect` with [`APP`] registered, and the provider the core sees for it.
async fn fake_speaking(dialect: Dialect, preset: Preset) -> (FakeHivesigner, Provider) {
    let fake = FakeHivesigner::start(FakeConfig {
        dialect,
        ..FakeConfig::default()
    })
    .await;
    fake.register_app(APP, "app-secret", &["http://127.0.0.1/callback"]);
    let provider = Provider::new(preset, Some(&fake.base_url())).unwrap();
    (fake, provider)
}

/// Whether the provider refused with 401 `invalid_grant`, as the real server does.
fn invalid_grant(refused: &CallError) -> bool {
    matches!(refused, CallError::Refused { status: 401, error, .. } if error == "invalid_grant")
}

#[tokio::test]
async fn the_client_revokes_at_the_fake_with_the_authorization_header() {
    let client = TokenClient::new(Duration::from_secs(10)).unwrap();

    let (fake, provider) = fake_speaking(Dialect::Hivesigner, Preset::HivesignerCompatible).await;
    let access = SecretString::from(fake.mint_token(TokenKind::Posting, APP, "alice"));
    client.revoke(&provider, &access).await.expect("revoked");
    assert_eq!(fake.count(Endpoint::Revoke), 1);
    // A token the fake never issued is refused, as by the real server.
    let forged = SecretString::from(format!("{TOKEN_PREFIX}forged"));
    let refused = client.revoke(&provider, &forged).await.unwrap_err();
    assert!(invalid_grant(&refused), "{refused:?}");

    // SteemLogin's dialect keeps working with the same call, and the token is gone after it.
    let (steem, provider) =
        fake_speaking(Dialect::SteemconnectV2, Preset::SteemconnectCompatible).await;
    let access = SecretString::from(steem.mint_token(TokenKind::Posting, APP, "alice"));
    client
        .revoke(&provider, &access)
        .await
        .expect("revoked on steemconnect");
    let after = client.me(&provider, &access).await.unwrap_err();
    assert!(invalid_grant(&after), "{after:?}");
}
