//! The consent page of `Consent::Page`: what the client asks for, an account field and
//! Approve / Deny buttons, in a form that POSTs the request's parameters on to
//! `{issuer}/authorize/consent`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::authorize::Checked;
use crate::pages::{consent_form, escape_html, framed, OAUTH2};

/// The account the page's field starts with.
const PREFILLED_USER: &str = "alice";

/// The page; `issuer_path` is the issuer's path (`""` for none), `problem` a line in red.
pub(crate) fn consent_page(
    issuer_path: &str,
    request: &Checked,
    problem: Option<&str>,
) -> Response {
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
    let body = format!(
        "<p>The application <strong>{client}</strong> asks for access to your account.</p><dl>\
         <dt>Client</dt><dd>{client}</dd><dt>Scope</dt><dd>{scope}</dd>\
         <dt>Refresh token</dt><dd>{refresh}</dd><dt>Sent back to</dt><dd>{redirect}</dd></dl>\
         {form}<p class=\"note\">A fake OAuth 2.0 server: any account name works.</p>",
        client = escape_html(&request.client_id),
        redirect = escape_html(&request.redirect_uri),
        form = consent_form(
            &format!("{issuer_path}/authorize/consent"),
            &request.fields,
            PREFILLED_USER,
            problem
        ),
    );
    let page = framed(&OAUTH2, "Authorize an application", &body);
    (StatusCode::OK, page).into_response()
}
