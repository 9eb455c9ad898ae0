//! [`Incoming`]: a request with a body as the token, revocation and notes endpoints take it
//! (method, URI, headers and the body's bytes), so each handler names one extractor.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};

use super::Recorded;

/// A request with its body read.
pub(crate) struct Incoming {
    /// `POST`, or whatever else a client tried.
    pub(crate) method: Method,
    /// The path and query.
    pub(crate) uri: Uri,
    /// The headers, as sent.
    pub(crate) headers: HeaderMap,
    /// The body's bytes.
    pub(crate) body: Bytes,
}

impl Incoming {
    /// What the endpoint records of it, with `fields` (the form's or the query's).
    pub(crate) fn recorded(&self, fields: &[(String, String)]) -> Recorded {
        Recorded::of(&self.method, &self.uri, &self.headers, fields, &self.body)
    }
}

impl<S: Send + Sync> FromRequest<S> for Incoming {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let method = request.method().clone();
        let uri = request.uri().clone();
        let headers = request.headers().clone();
        // As axum's own `Bytes` extractor reads it (within the default body limit).
        let body = Bytes::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Self {
            method,
            uri,
            headers,
            body,
        })
    }
}
