//! Names of the events Authdeck pushes to the window. Payloads never carry a token.

/// New notices wait in the queue; the window calls `take_notices` to read them (no payload).
pub const NOTICES_CHANGED: &str = "authdeck:notices-changed";
