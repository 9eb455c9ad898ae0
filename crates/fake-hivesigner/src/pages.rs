//! The HTML pages: consent, denied, revoke, and what every fake's pages share (the frame and
//! its look, escaping, the consent form, the bare page).

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::authorize::AuthRequest;
use crate::tokens::{TokenKind, POSTING_OPERATIONS};

/// The stylesheet of a fake's pages, in its own two colours: the background and the Approve
/// button's.
macro_rules! style {
    ($background:literal, $accent:literal) => {
        concat!(
            "body{font-family:system-ui,sans-serif;background:",
            $background,
            ";color:#1d1f23;margin:0}main{max-width:34rem;margin:3rem auto;background:#fff;\
             padding:2rem;border-radius:12px;box-shadow:0 2px 12px #0002}h1{font-size:1.4rem;\
             margin-top:0}dt{font-weight:600;margin-top:.6rem}dd{margin:0;word-break:break-all}\
             label{display:block;margin:1.2rem 0 .4rem;font-weight:600}input[type=text]{width:100%;\
             box-sizing:border-box;padding:.5rem;font-size:1rem}.buttons{display:flex;gap:.8rem;\
             margin-top:1.2rem}button{flex:1;padding:.7rem;font-size:1rem;border-radius:8px;\
             border:1px solid #888;cursor:pointer}button.approve{background:",
            $accent,
            ";color:#fff;border-color:",
            $accent,
            "}.problem{color:#b00020;font-weight:600}.note{color:#666}"
        )
    };
}

/// Whose page it is: the fake's name (after the page's title) and its stylesheet.
pub(crate) struct Look {
    name: &'static str,
    style: &'static str,
}

/// The fake Hivesigner's pages.
pub(crate) const HIVESIGNER: Look = Look {
    name: "fake Hivesigner",
    style: style!("#f4f5f7", "#e31337"),
};

/// The fake OAuth 2.0 server's pages.
pub(crate) const OAUTH2: Look = Look {
    name: "fake OAuth 2.0",
    style: style!("#eef1f5", "#2458c6"),
};

/// `text` with the characters HTML gives a meaning escaped.
pub(crate) fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// A whole page in `look`; `title` is escaped, `body` is already HTML.
pub(crate) fn framed(look: &Look, title: &str, body: &str) -> Html<String> {
    let title = escape_html(title);
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{title} - {name}\
         </title><style>{style}</style></head><body><main><h1>{title}</h1>{body}</main></body>\
         </html>",
        name = look.name,
        style = look.style,
    ))
}

/// A whole page of the fake Hivesigner's; `title` is escaped, `body` is already HTML.
pub(crate) fn page(title: &str, body: &str) -> Html<String> {
    framed(&HIVESIGNER, title, body)
}

/// A bare page (no stylesheet) with `status`: `title`, escaped, and `body`, already HTML.
pub(crate) fn plain_page(status: StatusCode, title: &str, body: &str) -> Response {
    let title = escape_html(title);
    let html = format!("<!doctype html><title>{title}</title>{body}");
    (status, Html(html)).into_response()
}

/// The end of a consent page: `problem` (a line in red) if any, then a form that POSTs
/// `fields` (hidden, as they came), the account (its field starting as `user`) and the button
/// pressed, Deny or Approve, to `action`.
pub(crate) fn consent_form(
    action: &str,
    fields: &[(impl AsRef<str>, impl AsRef<str>)],
    user: &str,
    problem: Option<&str>,
) -> String {
    let hidden: String = fields
        .iter()
        .map(|(name, value)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape_html(name.as_ref()),
                escape_html(value.as_ref())
            )
        })
        .collect();
    let problem = problem.map_or(String::new(), |text| {
        format!("<p class=\"problem\">{}</p>", escape_html(text))
    });
    format!(
        "{problem}<form method=\"post\" action=\"{action}\">{hidden}\
         <label for=\"username\">Account</label>\
         <input type=\"text\" id=\"username\" name=\"username\" value=\"{user}\" autofocus>\
         <div class=\"buttons\"><button type=\"submit\" name=\"decision\" value=\"deny\">Deny\
         </button><button class=\"approve\" type=\"submit\" name=\"decision\" value=\"approve\">\
         Approve</button></div></form>",
        action = escape_html(action),
        user = escape_html(user),
    )
}

pub(crate) fn consent_page(
    request: &AuthRequest,
    user: &str,
    problem: Option<&str>,
) -> Html<String> {
    let grant = request.grant();
    let grants = match grant.access {
        TokenKind::Login => "your identity only (login)".to_owned(),
        _ => format!("posting: {}", POSTING_OPERATIONS.join(", ")),
    };
    let flow = if request.code_flow() {
        "a code, which the app exchanges with its secret"
    } else {
        "an access token, in the link"
    };
    let body = format!(
        "<p>The app <strong>@{app}</strong> asks for access to your account.</p><dl>\
         <dt>App</dt><dd>@{app}</dd><dt>Requested scope</dt><dd>{scope}</dd>\
         <dt>It will get</dt><dd>{grants}</dd><dt>Sent back to</dt><dd>{redirect}</dd>\
         <dt>As</dt><dd>{flow}</dd></dl>{form}",
        app = escape_html(&request.client_id),
        scope = escape_html(&request.scope),
        redirect = escape_html(&request.redirect_uri),
        form = consent_form(
            "/oauth2/authorize/decision",
            &request.fields(),
            user,
            problem
        ),
    );
    page("Authorize an app", &body)
}

pub(crate) fn denied_page(request: &AuthRequest) -> Html<String> {
    let body = format!(
        "<p>You denied <strong>@{}</strong> access. Nothing was sent back to the app.</p>\
         <p class=\"note\">You can close this window.</p>",
        escape_html(&request.client_id)
    );
    page("Request denied", &body)
}

pub(crate) async fn revoke_page(Path(app): Path<String>) -> Html<String> {
    let body = format!(
        "<p>To revoke <strong>@{app}</strong>, remove it from your account's posting \
         authority. Until then its tokens keep working: Hivesigner keeps no token table.</p>\
         <p class=\"note\">This fake changes nothing here; tests use \
         <code>revoke_app_authority</code>.</p>",
        app = escape_html(&app)
    );
    page("Revoke an app", &body)
}
