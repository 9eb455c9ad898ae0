//! The consent page of `Consent::Page`: what the client asks for, an account field and
//! Approve / Deny buttons, in a form that POSTs the request's parameters on to
//! `{issuer}/authorize/consent`.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::authorize::Checked;

/// The account the page's field starts with.
const PREFILLED_USER: &str = "alice";

const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#eef1f5;color:#1d1f23;\
margin:0}main{max-width:34rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:12px;\
box-shadow:0 2px 12px #0002}h1{font-size:1.4rem;margin-top:0}dt{font-weight:600;margin-top:.6rem}\
dd{margin:0;word-break:break-all}label{display:block;margin:1.2rem 0 .4rem;font-weight:600}\
input[type=text]{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem}\
.buttons{display:flex;gap:.8rem;margin-top:1.2rem}button{flex:1;padding:.7rem;font-size:1rem;\
border-radius:8px;border:1px solid #888;cursor:pointer}button.approve{background:#2458c6;\
color:#fff;border-color:#2458c6}.problem{color:#b00020;font-weight:600}.note{color:#666}";

fn escape_html(text: &str) -> String {
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

/// The page; `issuer_path` is the issuer's path (`""` for none), `problem` a line in red.
pub(crate) fn consent_page(
    issuer_path: &str,
    request: &Checked,
    problem: Option<&str>,
) -> Response {
    let hidden: String = request
        .fields
        .iter()
        .map(|(name, value)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape_html(name),
                escape_html(value)
            )
        })
        .collect();
    let scope = if request.scope.is_empty() {
        "(none)".to_owned()
    } else {
        escape_html(&request.scope)
    };
    let refresh = if request.offline {
        "yes (offline_access with prompt=consent)"
    } else {
        "no (it needs offline_access and prompt=consent)"
    };
    let problem = problem.map_or(String::new(), |text| {
        format!("<p class=\"problem\">{}</p>", escape_html(text))
    });
    let body = format!(
        "<p>The application <strong>{client}</strong> asks for access to your account.</p><dl>\
         <dt>Client</dt><dd>{client}</dd><dt>Scope</dt><dd>{scope}</dd>\
         <dt>Refresh token</dt><dd>{refresh}</dd><dt>Sent back to</dt><dd>{redirect}</dd></dl>\
         {problem}<form method=\"post\" action=\"{action}\">{hidden}\
         <label for=\"username\">Account</label>\
         <input type=\"text\" id=\"username\" name=\"username\" value=\"{PREFILLED_USER}\" autofocus>\
         <div class=\"buttons\"><button type=\"submit\" name=\"decision\" value=\"deny\">Deny\
         </button><button class=\"approve\" type=\"submit\" name=\"decision\" value=\"approve\">\
         Approve</button></div></form><p class=\"note\">A fake OAuth 2.0 server: any account \
         name works.</p>",
        client = escape_html(&request.client_id),
        redirect = escape_html(&request.redirect_uri),
        action = escape_html(&format!("{issuer_path}/authorize/consent")),
    );
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>Authorize an application \
         - fake OAuth 2.0</title><style>{STYLE}</style></head><body><main>\
         <h1>Authorize an application</h1>{body}</main></body></html>"
    );
    (StatusCode::OK, Html(html)).into_response()
}
