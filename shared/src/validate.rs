//! Field validation shared by handlers. Each check returns a 400 naming the field.

use crate::error::ApiError;

pub const PASSWORD_MIN_CHARS: usize = 8;
pub const PASSWORD_MAX_CHARS: usize = 128;
pub const NAME_MAX_CHARS: usize = 100;

/// Trims and lowercases an email and checks it is a plausible, deliverable address
/// (`local@domain.tld`, at most 254 characters, no display name, no IP-literal domain).
pub fn normalise_email(raw: &str) -> Result<String, ApiError> {
    let invalid = || ApiError::validation("invalid_email", "email", "email is not a valid address");
    let email = raw.trim().to_lowercase();
    if email.is_empty() || email.len() > 254 {
        return Err(invalid());
    }
    if !email_address::EmailAddress::is_valid(&email) {
        return Err(invalid());
    }
    let (local, domain) = email.rsplit_once('@').ok_or_else(invalid)?;
    let domain_ok = domain.contains('.')
        && !domain.starts_with('[')
        && domain
            .split('.')
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    if local.is_empty() || local.contains(char::is_whitespace) || !domain_ok {
        return Err(invalid());
    }
    Ok(email)
}

/// 8-128 characters (Unicode scalar values), any characters at all, nothing trimmed.
pub fn password(p: &str) -> Result<(), ApiError> {
    let n = p.chars().count();
    if n < PASSWORD_MIN_CHARS {
        return Err(ApiError::validation(
            "password_too_short",
            "password",
            format!("password must be at least {PASSWORD_MIN_CHARS} characters"),
        ));
    }
    if n > PASSWORD_MAX_CHARS {
        return Err(ApiError::validation(
            "password_too_long",
            "password",
            format!("password must be at most {PASSWORD_MAX_CHARS} characters"),
        ));
    }
    Ok(())
}

/// An optional display name: trimmed, 1-100 characters, no control characters.
pub fn name(n: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(n) = n else { return Ok(None) };
    let n = n.trim();
    let count = n.chars().count();
    if count == 0 || count > NAME_MAX_CHARS || n.chars().any(char::is_control) {
        return Err(ApiError::validation(
            "invalid_name",
            "name",
            format!("name must be 1-{NAME_MAX_CHARS} printable characters"),
        ));
    }
    Ok(Some(n.to_string()))
}

/// An optional phone number, stored in E.164 form: `+` then 8-15 digits. Spaces, dots, dashes and
/// parentheses are accepted and removed.
pub fn phone(p: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(p) = p else { return Ok(None) };
    let invalid = || {
        ApiError::validation(
            "invalid_phone",
            "phone",
            "phone must be in international form, e.g. +44 20 7946 0958",
        )
    };
    let p = p.trim();
    let rest = p.strip_prefix('+').ok_or_else(invalid)?;
    let mut digits = String::with_capacity(16);
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return Err(invalid()),
        }
    }
    if !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
        return Err(invalid());
    }
    Ok(Some(format!("+{digits}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(e: ApiError) -> String {
        e.code().to_string()
    }

    #[test]
    fn emails() {
        assert_eq!(
            normalise_email("  Alice@Example.COM ").unwrap(),
            "alice@example.com"
        );
        assert_eq!(
            normalise_email("a.b+tag@sub.example.co.uk").unwrap(),
            "a.b+tag@sub.example.co.uk"
        );
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@localhost",
            "a b@example.com",
            "a@exa mple.com",
            "Alice <a@example.com>",
            "a@[127.0.0.1]",
            "a@example..com",
        ] {
            assert_eq!(
                code(normalise_email(bad).unwrap_err()),
                "invalid_email",
                "{bad:?}"
            );
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(normalise_email(&long).is_err());
    }

    #[test]
    fn passwords_count_characters_not_bytes() {
        assert!(password("1234567").is_err());
        assert!(password("12345678").is_ok());
        assert!(password("пароль12").is_ok(), "8 Cyrillic/ASCII chars");
        assert!(password("🔒🔒🔒🔒🔒🔒🔒🔒").is_ok(), "8 emoji = 32 bytes");
        assert!(password(&"x".repeat(128)).is_ok());
        assert_eq!(
            code(password(&"x".repeat(129)).unwrap_err()),
            "password_too_long"
        );
        assert_eq!(code(password("short").unwrap_err()), "password_too_short");
    }

    #[test]
    fn names_and_phones() {
        assert_eq!(
            name(Some("  Ada Lovelace ")).unwrap().as_deref(),
            Some("Ada Lovelace")
        );
        assert_eq!(name(None).unwrap(), None);
        assert!(name(Some("   ")).is_err());
        assert!(name(Some("bad\u{0007}")).is_err());
        assert_eq!(
            phone(Some("+44 20 7946-0958")).unwrap().as_deref(),
            Some("+442079460958")
        );
        assert!(phone(Some("020 7946 0958")).is_err());
        assert!(phone(Some("+1 call me")).is_err());
        assert!(phone(Some("+123")).is_err());
    }
}
