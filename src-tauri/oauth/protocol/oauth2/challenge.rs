//! Reading `WWW-Authenticate` (RFC 9110 11.6.1): the challenges of each header value and
//! the parameters of the `Bearer` one (RFC 6750 3), which say why a token was refused.

use reqwest::header::{HeaderMap, WWW_AUTHENTICATE};

/// The parameter `name` of the first `Bearer` challenge in the `WWW-Authenticate` headers
/// that has it.
pub(super) fn bearer_param(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(challenges)
        .filter(|challenge| challenge.scheme.eq_ignore_ascii_case("bearer"))
        .find_map(|challenge| {
            challenge
                .params
                .into_iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                .map(|(_, value)| value)
        })
}

/// One RFC 9110 11.6.1 challenge: a scheme and its `name=value` parameters.
#[derive(Debug, PartialEq, Eq)]
struct Challenge {
    scheme: String,
    params: Vec<(String, String)>,
}

/// A token's characters (RFC 9110 5.6.2 `tchar`).
fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// The challenges of one `WWW-Authenticate` value: `Basic realm="a", Bearer error=x, ...`.
/// Parameters are `token=token` or `token="quoted \" string"`; a `token68` is skipped.
fn challenges(value: &str) -> Vec<Challenge> {
    let chars: Vec<char> = value.chars().collect();
    let mut at = 0;
    let mut out: Vec<Challenge> = Vec::new();
    let skip_spaces = |at: &mut usize| {
        while *at < chars.len() && matches!(chars[*at], ' ' | '\t') {
            *at += 1;
        }
    };
    let read_token = |at: &mut usize| {
        let start = *at;
        while *at < chars.len() && is_tchar(chars[*at]) {
            *at += 1;
        }
        chars[start..*at].iter().collect::<String>()
    };
    let skip_to_comma = |at: &mut usize| {
        while *at < chars.len() && chars[*at] != ',' {
            *at += 1;
        }
    };
    while at < chars.len() {
        while at < chars.len() && matches!(chars[at], ' ' | '\t' | ',') {
            at += 1;
        }
        let word = read_token(&mut at);
        if word.is_empty() {
            skip_to_comma(&mut at);
            continue;
        }
        skip_spaces(&mut at);
        if at < chars.len() && chars[at] == '=' {
            at += 1;
            skip_spaces(&mut at);
            let value = if at < chars.len() && chars[at] == '"' {
                at += 1;
                let mut text = String::new();
                while at < chars.len() && chars[at] != '"' {
                    if chars[at] == '\\' && at + 1 < chars.len() {
                        at += 1;
                    }
                    text.push(chars[at]);
                    at += 1;
                }
                at += 1;
                Some(text)
            } else {
                let token = read_token(&mut at);
                // `abc==` is a token68, not a parameter.
                (!token.is_empty()).then_some(token)
            };
            if let (Some(value), Some(current)) = (value, out.last_mut()) {
                current.params.push((word, value));
            }
            skip_to_comma(&mut at);
        } else {
            out.push(Challenge {
                scheme: word,
                params: Vec::new(),
            });
            // A token68 after the scheme (`Basic abc==`) has no parameters to read.
            let next = at;
            let token = read_token(&mut at);
            skip_spaces(&mut at);
            let is_param = !token.is_empty() && at < chars.len() && chars[at] == '=' && {
                let mut after = at + 1;
                while after < chars.len() && matches!(chars[after], ' ' | '\t') {
                    after += 1;
                }
                after < chars.len() && chars[after] != '=' && chars[after] != ','
            };
            if is_param {
                at = next;
            } else if !token.is_empty() {
                skip_to_comma(&mut at);
            }
        }
    }
    out
}
