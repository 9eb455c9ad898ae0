//! The HTML pages: consent, denied, revoke, and the page frame they share.

use axum::extract::Path;
use axum::response::Html;

use crate::authorize::AuthRequest;
use crate::tokens::{TokenKind, POSTING_OPERATIONS};

const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1d1f23;\
margin:0}main{max-width:34rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:12px;\
box-shadow:0 2px 12px #0002}h1{font-size:1.4rem;margin-top:0}dt{font-weight:600;margin-top:.6rem}\
dd{margin:0;word-break:break-all}label{display:block;margin:1.2rem 0 .4rem;font-weight:600}\
input[type=text]{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem}\
.buttons{display:flex;gap:.8rem;margin-top:1.2rem}button{flex:1;padding:.7rem;font-size:1rem;\
border-radius:8px;border:1px solid #888;cursor:pointer}button.approve{background:#e31337;\
color:#fff;border-color:#e31337}.problem{color:#b00020;font-weight:600}.note{color:#666}";

fn escape_html(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '&' => "&amp;".into(),
            '<' => "&lt;".into(),
            '>' => "&gt;".into(),
            '"' => "&quot;".into(),
            '\'' => "&#39;".into(),
            other => other.to_string(),
        })
        .collect()
}

/// A whole page; `title` is escaped, `body` is already HTML.
pub(crate) fn page(title: &str, body: &str) -> Html<String> {
    let title = escape_html(title);
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{title} - fake Hivesigner\
         </title><style>{STYLE}</style></head><body><main><h1>{title}</h1>{body}</main></body>\
         </html>"
    ))
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
    let hidden: String = request
        .fields()
        .iter()
        .map(|(name, value)| {
            let value = escape_html(value);
            format!("<input type=\"hidden\" name=\"{name}\" value=\"{value}\">")
        })
        .collect();
    let problem = problem.map_or(String::new(), |text| {
        format!("<p class=\"problem\">{}</p>", escape_html(text))
    });
    let body = format!(
        "<p>The app <strong>@{app}</strong> asks for access to your account.</p><dl>\
         <dt>App</dt><dd>@{app}</dd><dt>Requested scope</dt><dd>{scope}</dd>\
         <dt>It will get</dt><dd>{grants}</dd><dt>Sent back to</dt><dd>{redirect}</dd>\
         <dt>As</dt><dd>{flow}</dd></dl>{problem}\
         <form method=\"post\" action=\"/oauth2/authorize/decision\">{hidden}\
         <label for=\"username\">Account</label>\
         <input type=\"text\" id=\"username\" name=\"username\" value=\"{user}\" autofocus>\
         <div class=\"buttons\"><button type=\"submit\" name=\"decision\" value=\"deny\">Deny\
         </button><button class=\"approve\" type=\"submit\" name=\"decision\" value=\"approve\">\
         Approve</button></div></form>",
        app = escape_html(&request.client_id),
        scope = escape_html(&request.scope),
        redirect = escape_html(&request.redirect_uri),
        user = escape_html(user),
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
