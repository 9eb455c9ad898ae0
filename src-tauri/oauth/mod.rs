//! OAuth with Hivesigner-style providers: authorize URLs and pending attempts, the redirect
//! parser, the loopback listener, the provider calls, and the wire dialects they speak.

pub mod authorize;
pub mod by_kind;
pub mod callback;
pub mod discovery;
pub mod loopback;
pub mod protocol;
pub mod statement;
pub mod token;
