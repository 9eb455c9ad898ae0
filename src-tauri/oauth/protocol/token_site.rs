//! The "apps tab" token site dialect: the authorize page `{base}/authorize/?client_id=ID`,
//! the redirect that carries the token as a query parameter and no `state`, the identity
//! request, and how a token rides on API calls (`Authorization: <token>`, or Bearer).

use reqwest::RequestBuilder;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use url::Url;

use crate::error::{Error, Result};
use crate::oauth::token::{decode, fetch, CallError};
use crate::provider::{Provider, TokenHeader, TokenSiteSettings};
use crate::redact::redact;

/// The longest token believed (tokens of such sites are 20 to 100 characters).
pub const MAX_TOKEN_CHARS: usize = 4096;

/// The longest account name believed from an identity answer.
const MAX_ACCOUNT_CHARS: usize = 256;

/// The longest `error` kept from a redirect.
const MAX_ERROR_CHARS: usize = 100;

/// The names sites give the token's parameter; a redirect carrying one of them but not the
/// configured one is a misconfigured app, worth saying so.
const KNOWN_TOKEN_PARAMS: [&str; 2] = ["token", "access_token"];

/// The authorize page for the app `client_id` on `provider` (a token site).
pub fn authorize_url(provider: &Provider, client_id: &str) -> Result<Url> {
    if provider.token_site().is_none() {
        return Err(Error::Internal(
            "a token site authorize page was asked of a provider that is not a token site".into(),
        ));
    }
    if client_id.trim().is_empty() {
        return Err(Error::Internal(
            "a token site authorize page was asked for an app without a client id".into(),
        ));
    }
    // `{base}/authorize/`: the trailing slash matters (without it such sites answer with a
    // redirect that some of them send to their front page).
    let mut url = provider.authorize_endpoint();
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    url.set_query(None);
    url.set_fragment(None);
    url.query_pairs_mut().append_pair("client_id", client_id);
    Ok(url)
}

/// What a token site's redirect says.
pub enum SiteAnswer {
    /// The token, from the configured parameter.
    Token(SecretString),
    /// The person declined, or the site refused (`error=...`).
    Refused {
        /// The `error` parameter.
        error: String,
    },
}

/// Reads a token site's redirect (`http://127.0.0.1:PORT/callback?token=...` or
/// `authdeck://callback?token=...`); errors say what is wrong in plain words and never
/// repeat the token.
pub fn parse_redirect(
    redirect: &str,
    settings: &TokenSiteSettings,
) -> std::result::Result<SiteAnswer, String> {
    let param = settings.token_param.as_str();
    if param.is_empty() {
        return Err("this app has no token parameter set: set it in the app's settings".into());
    }
    let url = Url::parse(redirect.trim())
        .map_err(|_| "the site's answer is not an address Authdeck can read".to_owned())?;
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let values = |key: &str| -> Vec<&str> {
        pairs
            .iter()
            .filter(|(name, _)| name == key)
            .map(|(_, value)| value.as_str())
            .collect()
    };
    let tokens = values(param);
    let errors = values("error");
    if tokens.len() > 1 {
        return Err(format!(
            "the site sent the '{param}' parameter more than once, so Authdeck cannot tell which \
             token is meant; sign in again"
        ));
    }
    if errors.len() > 1 {
        return Err("the site sent more than one 'error' parameter; sign in again".into());
    }
    match (tokens.first(), errors.first()) {
        (Some(_), Some(_)) => Err(
            "the site's answer carries both a token and an error, so Authdeck takes neither; \
             sign in again"
                .into(),
        ),
        (None, Some(error)) => Ok(SiteAnswer::Refused {
            error: clean_error(error),
        }),
        (Some(token), None) => checked_token(token).map(SiteAnswer::Token),
        (None, None) => Err(why_no_token(&url, &pairs, param)),
    }
}

/// The token, if it looks like one.
fn checked_token(token: &str) -> std::result::Result<SecretString, String> {
    if token.is_empty() {
        return Err("the site sent an empty token".into());
    }
    if token.chars().count() > MAX_TOKEN_CHARS {
        return Err(format!(
            "the site sent a token longer than {MAX_TOKEN_CHARS} characters, which is not a \
             believable token"
        ));
    }
    if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(
            "the site sent a token with spaces or control characters in it (a '+' in an \
             address reads as a space), which is not a usable token"
                .into(),
        );
    }
    if !token.is_ascii() {
        return Err(
            "the site sent a token with characters other than plain letters, digits and \
             punctuation, which cannot be sent back to it"
                .into(),
        );
    }
    Ok(SecretString::from(token.to_owned()))
}

/// The site's `error`, as something safe to show: no control characters, short, redacted.
fn clean_error(error: &str) -> String {
    let cleaned: String = error
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_ERROR_CHARS)
        .collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() {
        "unspecified_error".to_owned()
    } else {
        redact(cleaned).into_owned()
    }
}

/// Why an answer without the token parameter has none, in plain words.
fn why_no_token(url: &Url, pairs: &[(String, String)], param: &str) -> String {
    let in_query = |key: &str| pairs.iter().any(|(name, _)| name == key);
    if let Some(other) = KNOWN_TOKEN_PARAMS
        .into_iter()
        .find(|other| *other != param && in_query(other))
    {
        return format!(
            "the site put the token in '{other}', but this app expects '{param}': change the \
             app's token parameter"
        );
    }
    if let Some(fragment) = url.fragment().filter(|fragment| !fragment.is_empty()) {
        let carries_token = url::form_urlencoded::parse(fragment.as_bytes())
            .any(|(key, _)| key == param || KNOWN_TOKEN_PARAMS.contains(&key.as_ref()));
        if carries_token {
            return "the site put the token after '#', which Authdeck cannot read from a \
                    redirect: paste the token instead"
                .into();
        }
    }
    if in_query("code") {
        return format!(
            "the site answered with a 'code', as an OAuth 2.0 server does, not with a \
             '{param}': this provider may not be a token site"
        );
    }
    format!("the site's answer has no '{param}' parameter")
}

/// The account's name: a GET of the identity path with the token, its JSON field.
pub async fn identity(
    http: &reqwest::Client,
    provider: &Provider,
    access_token: &SecretString,
) -> std::result::Result<String, CallError> {
    let settings = provider.token_site().ok_or_else(|| {
        CallError::BadResponse("it is not a token site, so it has no identity path".into())
    })?;
    let url = provider
        .under_base(&settings.identity_path)
        .ok_or_else(|| {
            CallError::BadResponse(format!(
                "its identity path '{}' does not lead to a page under its base URL; check the \
             app's identity path",
                redact(&settings.identity_path)
            ))
        })?;
    let request = http
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json");
    let request = with_token(request, settings.header, access_token);
    let answer: Value = decode(fetch(request).await?)?;
    account_in(&answer, &settings.identity_field)
}

/// The account name in `answer`'s `field`: a non-empty string, or a whole number as its
/// decimal text.
fn account_in(answer: &Value, field: &str) -> std::result::Result<String, CallError> {
    let object = answer
        .as_object()
        .ok_or_else(|| CallError::BadResponse("its identity answer is not a JSON object".into()))?;
    let bad = |problem: &str| {
        CallError::BadResponse(format!(
            "its identity answer's '{field}' field {problem}; check the app's identity field"
        ))
    };
    let name = match object.get(field) {
        None => {
            return Err(CallError::BadResponse(format!(
                "its identity answer has no '{field}' field; check the app's identity field"
            )))
        }
        Some(Value::String(text)) => text.trim().to_owned(),
        Some(Value::Number(number)) if number.is_u64() || number.is_i64() => number.to_string(),
        Some(Value::Number(_)) => return Err(bad("is not a whole number")),
        Some(_) => return Err(bad("is not a name")),
    };
    if name.is_empty() {
        return Err(bad("is empty"));
    }
    if name.chars().count() > MAX_ACCOUNT_CHARS || name.chars().any(char::is_control) {
        return Err(bad("is not a believable account name"));
    }
    Ok(name)
}

/// An API call carrying `access_token` in the header form the site reads.
pub fn with_token(
    request: RequestBuilder,
    header: TokenHeader,
    access_token: &SecretString,
) -> RequestBuilder {
    match header {
        TokenHeader::Raw => {
            request.header(reqwest::header::AUTHORIZATION, access_token.expose_secret())
        }
        TokenHeader::Bearer => request.bearer_auth(access_token.expose_secret()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use fake_hivesigner::token_site::{Consent, FakeTokenSite, HeaderForm, TokenSiteConfig};
    use serde_json::json;

    use crate::provider::{KindSettings, Preset};

    const APP: &str = "authdeck";

    fn settings(token_param: &str, header: TokenHeader) -> TokenSiteSettings {
        TokenSiteSettings {
            token_param: token_param.into(),
            identity_path: "/@me".into(),
            identity_field: "username".into(),
            header,
            loopback_port: 47_123,
            apps_page: None,
        }
    }

    fn provider(base: &str, settings: TokenSiteSettings) -> Provider {
        Provider::with_kind(
            Preset::TokenSite,
            Some(base),
            KindSettings::TokenSite(settings),
        )
        .expect("a token site provider")
    }

    fn http() -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client")
    }

    async fn site(config: TokenSiteConfig) -> FakeTokenSite {
        let site = FakeTokenSite::start(config).await;
        site.register_app(APP, "http://127.0.0.1:47123/callback");
        site
    }

    fn token(answer: std::result::Result<SiteAnswer, String>) -> String {
        match answer {
            Ok(SiteAnswer::Token(token)) => token.expose_secret().to_owned(),
            Ok(SiteAnswer::Refused { error }) => panic!("refused: {error}"),
            Err(problem) => panic!("not read: {problem}"),
        }
    }

    /// The error for `redirect`, checked not to repeat `secret`.
    fn problem(redirect: &str, settings: &TokenSiteSettings, secret: &str) -> String {
        match parse_redirect(redirect, settings) {
            Ok(SiteAnswer::Token(_)) => panic!("a token was taken from a bad answer"),
            Ok(SiteAnswer::Refused { error }) => panic!("read as a refusal: {error}"),
            Err(problem) => {
                assert!(!secret.is_empty() && !problem.contains(secret), "{problem}");
                problem
            }
        }
    }

    #[test]
    fn the_authorize_url_has_the_trailing_slash_and_an_encoded_client_id() {
        let site = provider("https://news.example", settings("token", TokenHeader::Raw));
        assert_eq!(
            authorize_url(&site, APP).unwrap().as_str(),
            "https://news.example/authorize/?client_id=authdeck"
        );
        assert_eq!(
            authorize_url(&site, "my app&x=1").unwrap().as_str(),
            "https://news.example/authorize/?client_id=my+app%26x%3D1"
        );
        let under_path = provider(
            "https://example.org/forum/",
            settings("token", TokenHeader::Raw),
        );
        assert_eq!(
            authorize_url(&under_path, APP).unwrap().as_str(),
            "https://example.org/forum/authorize/?client_id=authdeck"
        );
        assert!(authorize_url(&site, " ").is_err());
        let signer = Provider::new(Preset::Hivesigner, None).unwrap();
        assert!(matches!(
            authorize_url(&signer, APP),
            Err(Error::Internal(_))
        ));
    }

    #[test]
    fn the_token_comes_from_the_configured_parameter() {
        let raw = settings("token", TokenHeader::Raw);
        let value = "a1B2c3D4e5-_.~";
        for redirect in [
            format!("http://127.0.0.1:47123/callback?token={value}"),
            format!("authdeck://callback?token={value}"),
            format!("authdeck://callback?other=1&token={value}"),
        ] {
            assert_eq!(token(parse_redirect(&redirect, &raw)), value, "{redirect}");
        }
        let access = settings("access_token", TokenHeader::Bearer);
        let redirect = format!("authdeck://callback?access_token={value}");
        assert_eq!(token(parse_redirect(&redirect, &access)), value);
        let longest = "t".repeat(MAX_TOKEN_CHARS);
        let redirect = format!("authdeck://callback?token={longest}");
        assert_eq!(token(parse_redirect(&redirect, &raw)), longest);
    }

    #[test]
    fn an_error_is_a_refusal() {
        let raw = settings("token", TokenHeader::Raw);
        for (redirect, expected) in [
            ("authdeck://callback?error=access_denied", "access_denied"),
            (
                "http://127.0.0.1:1/callback?error=%0Aaccess_denied",
                "access_denied",
            ),
            ("authdeck://callback?error=", "unspecified_error"),
        ] {
            match parse_redirect(redirect, &raw) {
                Ok(SiteAnswer::Refused { error }) => assert_eq!(error, expected),
                _ => panic!("not a refusal: {redirect}"),
            }
        }
        let both = "authdeck://callback?token=secretvalue&error=x";
        assert!(problem(both, &raw, "secretvalue").contains("both"));
    }

    #[test]
    fn bad_answers_are_refused_without_repeating_the_token() {
        let raw = settings("token", TokenHeader::Raw);
        let secret = "s3cr3tT0ken";
        let cases = [
            ("authdeck://callback".to_owned(), "has no 'token'"),
            ("authdeck://callback?state=x".to_owned(), "has no 'token'"),
            ("authdeck://callback?token=".to_owned(), "empty token"),
            (
                format!("authdeck://callback?token={secret}&token={secret}2"),
                "more than once",
            ),
            (
                format!("authdeck://callback?token={secret}{}", "x".repeat(4096)),
                "longer than 4096",
            ),
            (format!("authdeck://callback?token={secret}%20x"), "spaces"),
            (format!("authdeck://callback?token={secret}+x"), "spaces"),
            (format!("authdeck://callback?token={secret}%0A"), "control"),
            (format!("authdeck://callback?token={secret}%C3%A9"), "plain"),
            (format!("authdeck://callback#token={secret}"), "after '#'"),
            (
                format!("http://127.0.0.1:47123/callback#access_token={secret}"),
                "paste the token instead",
            ),
            (
                format!("authdeck://callback?code={secret}"),
                "may not be a token site",
            ),
            (format!("not a url token={secret}"), "not an address"),
        ];
        for (redirect, expected) in cases {
            let problem = problem(&redirect, &raw, secret);
            assert!(problem.contains(expected), "{redirect}: {problem}");
        }
    }

    #[test]
    fn the_other_parameter_name_is_named_in_the_error() {
        let secret = "s3cr3tT0ken";
        let raw = settings("token", TokenHeader::Raw);
        let redirect = format!("authdeck://callback?access_token={secret}");
        assert_eq!(
            problem(&redirect, &raw, secret),
            "the site put the token in 'access_token', but this app expects 'token': change \
             the app's token parameter"
        );
        let access = settings("access_token", TokenHeader::Raw);
        let redirect = format!("authdeck://callback?token={secret}");
        assert_eq!(
            problem(&redirect, &access, secret),
            "the site put the token in 'token', but this app expects 'access_token': change \
             the app's token parameter"
        );
    }

    #[tokio::test]
    async fn sign_in_end_to_end_against_the_fake_site() {
        let site = site(TokenSiteConfig::default()).await;
        let provider = provider(&site.base_url(), settings("token", TokenHeader::Raw));
        let url = authorize_url(&provider, APP).unwrap();
        assert_eq!(url.as_str(), site.authorize_url(APP));
        let response = http().get(url).send().await.unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::FOUND);
        let location = response.headers()[reqwest::header::LOCATION]
            .to_str()
            .unwrap()
            .to_owned();
        let answer = parse_redirect(&location, provider.token_site().unwrap());
        let access_token = SecretString::from(token(answer));
        let user = identity(&http(), &provider, &access_token).await.unwrap();
        assert_eq!(user, "alice");
        assert_eq!(site.last_header_form(), Some(HeaderForm::Raw));
        assert_eq!(
            site.last_authorization().as_deref(),
            Some(access_token.expose_secret())
        );
    }

    #[tokio::test]
    async fn a_denial_on_the_fake_site_reads_as_a_refusal() {
        let site = site(TokenSiteConfig {
            consent: Consent::Page,
            ..TokenSiteConfig::default()
        })
        .await;
        let response = http().get(site.deny_url(APP)).send().await.unwrap();
        let location = response.headers()[reqwest::header::LOCATION]
            .to_str()
            .unwrap()
            .to_owned();
        match parse_redirect(&location, &settings("token", TokenHeader::Raw)) {
            Ok(SiteAnswer::Refused { error }) => assert_eq!(error, "access_denied"),
            _ => panic!("a denial was not read as a refusal"),
        }
    }

    #[tokio::test]
    async fn identity_sends_the_header_form_the_site_reads() {
        let raw_site = site(TokenSiteConfig::default()).await;
        let access_token = SecretString::from(raw_site.mint_personal_token("carol"));
        let raw = provider(&raw_site.base_url(), settings("token", TokenHeader::Raw));
        assert_eq!(
            identity(&http(), &raw, &access_token).await.unwrap(),
            "carol"
        );
        assert_eq!(raw_site.last_header_form(), Some(HeaderForm::Raw));
        let bearer = provider(&raw_site.base_url(), settings("token", TokenHeader::Bearer));
        match identity(&http(), &bearer, &access_token).await {
            Err(CallError::Refused { status, raw, .. }) => {
                assert_eq!(status, 401);
                assert!(!raw.contains(access_token.expose_secret()));
            }
            other => panic!("Bearer on a raw-token site: {other:?}"),
        }
        assert_eq!(raw_site.last_header_form(), Some(HeaderForm::Bearer));

        let bearer_site = site(TokenSiteConfig {
            require_bearer: true,
            ..TokenSiteConfig::default()
        })
        .await;
        let access_token = SecretString::from(bearer_site.mint_personal_token("dave"));
        let bearer = provider(
            &bearer_site.base_url(),
            settings("token", TokenHeader::Bearer),
        );
        assert_eq!(
            identity(&http(), &bearer, &access_token).await.unwrap(),
            "dave"
        );
        let raw = provider(&bearer_site.base_url(), settings("token", TokenHeader::Raw));
        assert!(matches!(
            identity(&http(), &raw, &access_token).await,
            Err(CallError::Refused { status: 401, .. })
        ));
    }

    #[tokio::test]
    async fn identity_reads_the_configured_field() {
        let site = site(TokenSiteConfig {
            identity_path: "/api/v1/identity".into(),
            ..TokenSiteConfig::default()
        })
        .await;
        let access_token = SecretString::from(site.mint_personal_token("erin"));
        let with_field = |path: &str, field: &str| {
            let mut settings = settings("token", TokenHeader::Raw);
            settings.identity_path = path.into();
            settings.identity_field = field.into();
            provider(&site.base_url(), settings)
        };
        let named = with_field("/api/v1/identity", "username");
        assert_eq!(
            identity(&http(), &named, &access_token).await.unwrap(),
            "erin"
        );
        let numbered = with_field("api/v1/identity", "id");
        assert_eq!(
            identity(&http(), &numbered, &access_token).await.unwrap(),
            "1"
        );
        let missing = with_field("/api/v1/identity", "login");
        match identity(&http(), &missing, &access_token).await {
            Err(CallError::BadResponse(problem)) => {
                assert!(
                    problem.starts_with("its identity answer has no 'login' field"),
                    "{problem}"
                );
            }
            other => panic!("a missing field: {other:?}"),
        }
        let wrong_path = with_field("/@me", "username");
        assert!(matches!(
            identity(&http(), &wrong_path, &access_token).await,
            Err(CallError::Refused { status: 404, .. })
        ));
        let outside = with_field("//evil.example/me", "username");
        assert!(matches!(
            identity(&http(), &outside, &access_token).await,
            Err(CallError::BadResponse(_))
        ));
        assert_eq!(site.calls("/api/v1/identity"), 3);
    }

    #[tokio::test]
    async fn a_revoked_token_is_refused() {
        let site = site(TokenSiteConfig::default()).await;
        let provider = provider(&site.base_url(), settings("token", TokenHeader::Raw));
        let response = http()
            .get(site.approve_url(APP, "alice"))
            .send()
            .await
            .unwrap();
        let location = response.headers()[reqwest::header::LOCATION]
            .to_str()
            .unwrap()
            .to_owned();
        let access_token = SecretString::from(token(parse_redirect(
            &location,
            provider.token_site().unwrap(),
        )));
        assert!(identity(&http(), &provider, &access_token).await.is_ok());
        site.revoke_on_settings_page("alice", APP);
        match identity(&http(), &provider, &access_token).await {
            Err(CallError::Refused { status, error, .. }) => {
                assert_eq!((status, error.as_str()), (401, "invalid_token"));
            }
            other => panic!("a revoked token: {other:?}"),
        }
    }

    #[tokio::test]
    async fn with_token_carries_api_console_posts() {
        let site = site(TokenSiteConfig::default()).await;
        let access_token = SecretString::from(site.mint_personal_token("alice"));
        let body = json!({"to": "bob", "text": "hello"});
        let request = http()
            .post(format!("{}/api/messages", site.base_url()))
            .json(&body);
        let answer = with_token(request, TokenHeader::Raw, &access_token)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), reqwest::StatusCode::CREATED);
        let created: Value = answer.json().await.unwrap();
        assert_eq!(created["from"], "alice");
        assert_eq!(site.last_message_body(), Some(body));
        let seen = site.requests().pop().unwrap();
        assert_eq!(
            (seen.path.as_str(), seen.header_form),
            ("/api/messages", HeaderForm::Raw)
        );
    }

    /// Commands spawn the identity call: its future must be `Send`.
    #[allow(dead_code)]
    fn identity_is_send(http: &reqwest::Client, provider: &Provider, token: &SecretString) {
        fn send<T: Send>(_: T) {}
        send(identity(http, provider, token));
    }

    #[test]
    fn account_names_are_checked() {
        let cases = [
            (json!({"username": "  alice "}), Ok("alice")),
            (json!({"username": 42}), Ok("42")),
            (json!({"username": -3}), Ok("-3")),
            (json!({"username": 1.5}), Err("whole number")),
            (json!({"username": ""}), Err("is empty")),
            (json!({"username": null}), Err("is not a name")),
            (json!({"username": "a\u{0}b"}), Err("believable")),
            (json!({"username": "x".repeat(300)}), Err("believable")),
            (json!(["alice"]), Err("not a JSON object")),
        ];
        for (answer, expected) in cases {
            match (account_in(&answer, "username"), expected) {
                (Ok(name), Ok(want)) => assert_eq!(name, want),
                (Err(CallError::BadResponse(problem)), Err(want)) => {
                    assert!(problem.contains(want), "{answer}: {problem}")
                }
                (got, _) => panic!("{answer}: {got:?}"),
            }
        }
    }
}
