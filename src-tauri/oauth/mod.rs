//! OAuth with Hivesigner-style providers: authorize URLs and pending attempts, the redirect
//! parser, the loopback listener, and the token endpoint calls.

pub mod authorize;
pub mod callback;
pub mod loopback;
pub mod statement;
pub mod token;
