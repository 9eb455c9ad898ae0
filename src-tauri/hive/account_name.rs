//! Account names as the chain accepts them: 3 to 16 characters; dot-separated parts each start
//! with a letter, hold only `a-z`, `0-9` and `-`, end with a letter or digit, and are at least
//! 3 characters long.

/// Shortest and longest account names.
pub const LENGTH: std::ops::RangeInclusive<usize> = 3..=16;

/// Checks `name`; the error says what is wrong in plain words.
pub fn check(name: &str) -> Result<(), String> {
    if !LENGTH.contains(&name.len()) {
        return Err(format!(
            "an account name has 3 to 16 characters ('{}' has {})",
            shorten(name),
            name.chars().count()
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '.'))
    {
        return Err(format!(
            "an account name holds only lowercase letters, digits, '-' and '.' (found '{bad}')"
        ));
    }
    for part in name.split('.') {
        let starts_with_letter = part.starts_with(|c: char| c.is_ascii_lowercase());
        let ends_well = part.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit());
        if part.len() < 3 || !starts_with_letter || !ends_well {
            return Err(format!(
                "each part of an account name between dots starts with a letter, ends with a \
                 letter or digit and has at least 3 characters ('{part}' does not)"
            ));
        }
    }
    Ok(())
}

fn shorten(text: &str) -> String {
    text.chars().take(24).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_real_names() {
        for name in [
            "alice",
            "bob-1",
            "hive.blog",
            "peak.open",
            "a1b",
            "abcdefghijklmnop",
        ] {
            assert_eq!(check(name), Ok(()), "{name}");
        }
    }

    #[test]
    fn refuses_names_the_chain_refuses() {
        for (name, needle) in [
            ("ab", "3 to 16"),
            ("abcdefghijklmnopq", "3 to 16"),
            ("Alice", "lowercase"),
            ("al ice", "lowercase"),
            ("1alice", "starts with a letter"),
            ("alice-", "ends with"),
            ("ali.ce", "at least 3"),
            ("alice..bob", "at least 3"),
        ] {
            let err = check(name).unwrap_err();
            assert!(err.contains(needle), "{name}: {err}");
        }
    }
}
