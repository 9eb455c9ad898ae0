//! Tokens: the service's signed statements, their kinds, minting and reading them back.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::time::{SystemTime, UNIX_EPOCH};

/// What every token starts with: the base64 of `{"signed_message":`.
pub const TOKEN_PREFIX: &str = "eyJzaWduZWRfbWVzc2FnZSI6";

/// The lifetime Hivesigner announces for access tokens: seven days, in seconds.
pub const DEFAULT_EXPIRES_IN: u64 = 604_800;

/// The operations a posting token may broadcast, as `/api/me` reports them in `scope`.
pub const POSTING_OPERATIONS: [&str; 7] = [
    "vote",
    "comment",
    "delete_comment",
    "comment_options",
    "custom_json",
    "claim_reward_balance",
    "account_update2",
];

/// The kinds of token, the `type` of the signed message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    /// Identity only: `/api/me` works, broadcasting does not.
    Login,
    /// Posting access token.
    Posting,
    /// Posting access token of the older offline kind; treated like [`TokenKind::Posting`].
    Offline,
    /// Authorization code, exchanged at the token endpoint.
    Code,
    /// Refresh token, exchanged at the token endpoint.
    Refresh,
}

impl TokenKind {
    /// The kinds `/api/me` and `/api/broadcast` accept.
    pub(crate) const ACCESS: [TokenKind; 3] =
        [TokenKind::Login, TokenKind::Posting, TokenKind::Offline];
    /// The kinds the token endpoint accepts.
    pub(crate) const GRANTS: [TokenKind; 2] = [TokenKind::Code, TokenKind::Refresh];

    pub(crate) fn is_access(self) -> bool {
        Self::ACCESS.contains(&self)
    }
}

/// What a code or refresh token leads to (for an access token: itself).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Grant {
    pub(crate) access: TokenKind,
    pub(crate) offline: bool,
}

impl Grant {
    pub(crate) const OFFLINE: Grant = Grant {
        access: TokenKind::Posting,
        offline: true,
    };

    /// What a token minted by hand grants: itself, or offline posting for a code or refresh.
    pub(crate) fn minted(kind: TokenKind) -> Grant {
        match kind {
            TokenKind::Code | TokenKind::Refresh => Grant::OFFLINE,
            access => Grant {
                access,
                offline: false,
            },
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SignedMessage {
    #[serde(rename = "type")]
    pub(crate) kind: TokenKind,
    pub(crate) app: String,
}

/// The token's content, in the service's field order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Statement {
    pub(crate) signed_message: SignedMessage,
    pub(crate) authors: Vec<String>,
    pub(crate) timestamp: u64,
    pub(crate) signatures: Vec<String>,
}

/// Base64 that takes padded and unpadded input alike.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

impl Statement {
    /// A fresh statement with a new random signature.
    pub(crate) fn new(kind: TokenKind, app: &str, user: &str, timestamp: u64) -> Self {
        Statement {
            signed_message: SignedMessage {
                kind,
                app: app.into(),
            },
            authors: vec![user.into()],
            timestamp,
            signatures: vec![random_signature()],
        }
    }

    /// The signature, the key the fake remembers its tokens by.
    pub(crate) fn signature(&self) -> Option<&str> {
        self.signatures.first().map(String::as_str)
    }

    /// JSON, base64, then `+/=` written as `-_.`.
    pub(crate) fn encode(&self) -> String {
        let json = serde_json::to_vec(self).expect("a statement always serialises");
        STANDARD
            .encode(json)
            .replace('+', "-")
            .replace('/', "_")
            .replace('=', ".")
    }

    /// Reads a token in the service's alphabet, plain base64, padded or not.
    pub(crate) fn decode(token: &str) -> Option<Self> {
        let standard: String = token
            .trim()
            .chars()
            .map(|c| match c {
                '-' => '+',
                '_' => '/',
                '.' => '=',
                other => other,
            })
            .collect();
        let json = LENIENT.decode(standard).ok()?;
        serde_json::from_slice(&json).ok()
    }
}

/// A token the fake signed, with what it grants.
#[derive(Clone, Debug)]
pub(crate) struct Issued {
    pub(crate) statement: Statement,
    pub(crate) grant: Grant,
    pub(crate) expired: bool,
}

impl Issued {
    pub(crate) fn kind(&self) -> TokenKind {
        self.statement.signed_message.kind
    }

    pub(crate) fn app(&self) -> &str {
        &self.statement.signed_message.app
    }

    pub(crate) fn user(&self) -> &str {
        self.statement.authors.first().map_or("", String::as_str)
    }
}

pub(crate) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

pub(crate) fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill(&mut buf[..]);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// 65 bytes as 130 hex chars, starting like a compact recoverable signature.
pub(crate) fn random_signature() -> String {
    format!("1f{}", random_hex(64))
}
