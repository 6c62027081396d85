//! Field validation shared by handlers. Each check returns a 400 naming the field.

use crate::error::ApiError;
use crate::store::orders::Address;
use serde::{Deserialize, Serialize};

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

/// A search box's text (`q`): at most `max` characters, else 400 `query_too_long`.
pub fn query_text(q: Option<&String>, max: usize) -> Result<String, ApiError> {
    let text = q.cloned().unwrap_or_default();
    if text.chars().count() > max {
        return Err(ApiError::validation(
            "query_too_long",
            "q",
            format!("q must be at most {max} characters"),
        ));
    }
    Ok(text)
}

/// A slug (category, brand, warehouse id): 1-40 of `a-z`, `0-9`, `-`.
pub fn slug(s: &str, field: &str) -> Result<String, ApiError> {
    let ok = (1..=40).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(s.to_string())
    } else {
        Err(ApiError::Validation {
            code: "invalid_slug",
            message: format!("{field} must be 1-40 characters of a-z, 0-9 and -"),
            field: Some(field.to_string()),
        })
    }
}

/// A product name: trimmed, 1-200 characters, no control characters.
pub fn product_name(n: &str) -> Result<String, ApiError> {
    let n = n.trim();
    let count = n.chars().count();
    if count == 0 || count > 200 || n.chars().any(char::is_control) {
        return Err(ApiError::validation(
            "invalid_name",
            "name",
            "name must be 1-200 printable characters",
        ));
    }
    Ok(n.to_string())
}

/// A product description: at most 5000 characters (newlines and tabs allowed).
pub fn description(d: &str) -> Result<String, ApiError> {
    let d = d.trim();
    if d.chars().count() > 5000 || d.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(ApiError::validation(
            "invalid_description",
            "description",
            "description must be at most 5000 characters",
        ));
    }
    Ok(d.to_string())
}

/// A price in minor units: 0 to [`crate::money::MAX_PRICE_MINOR`].
pub fn price(p: i64) -> Result<i64, ApiError> {
    if (0..=crate::money::MAX_PRICE_MINOR).contains(&p) {
        Ok(p)
    } else {
        Err(ApiError::validation(
            "invalid_price",
            "price",
            format!(
                "price must be a whole number of minor units from 0 to {}",
                crate::money::MAX_PRICE_MINOR
            ),
        ))
    }
}

/// A unit's shipping weight in grams: 0 to [`crate::selling::shipping::MAX_PRODUCT_WEIGHT_GRAMS`].
pub fn weight_grams(w: i64) -> Result<u32, ApiError> {
    let max = crate::selling::shipping::MAX_PRODUCT_WEIGHT_GRAMS;
    if (0..=i64::from(max)).contains(&w) {
        Ok(w as u32)
    } else {
        Err(ApiError::validation(
            "invalid_weight",
            "weight_grams",
            format!("weight_grams must be a whole number from 0 to {max}"),
        ))
    }
}

/// An RFC 3339 timestamp (`2026-12-24T00:00:00Z`, any offset) as Unix seconds; 400 otherwise.
pub fn timestamp(s: &str, field: &'static str) -> Result<u64, ApiError> {
    crate::time::parse_rfc3339(s.trim()).ok_or_else(|| {
        ApiError::validation(
            "invalid_timestamp",
            field,
            format!("{field} must be an RFC 3339 timestamp, e.g. 2026-12-24T00:00:00Z"),
        )
    })
}

/// The sale a product is left with by a write (the rules its schema cannot state, 422): a window
/// needs a sale price, the sale price is below the regular price, the window starts before it
/// ends.
pub fn sale(p: &crate::store::catalog::Pricing) -> Result<(), ApiError> {
    match p.sale_price {
        None if p.sale_starts_at.is_some() || p.sale_ends_at.is_some() => {
            Err(ApiError::unprocessable(
                "sale_price_required",
                "sale_price",
                "a sale window needs a sale_price",
            ))
        }
        None => Ok(()),
        Some(sp) => {
            if !(0..=crate::money::MAX_PRICE_MINOR).contains(&sp) {
                return Err(ApiError::validation(
                    "invalid_price",
                    "sale_price",
                    "sale_price must be a whole number of minor units from 0 to 100000000",
                ));
            }
            if sp >= p.price {
                return Err(ApiError::unprocessable(
                    "sale_price_not_lower",
                    "sale_price",
                    "sale_price must be below the regular price",
                ));
            }
            if let (Some(s), Some(e)) = (p.sale_starts_at, p.sale_ends_at)
                && s >= e
            {
                return Err(ApiError::unprocessable(
                    "invalid_sale_window",
                    "sale_ends_at",
                    "sale_ends_at must be after sale_starts_at",
                ));
            }
            Ok(())
        }
    }
}

/// A `country` query parameter: two letters (else 400 `invalid_country`, as the schema says)
/// naming an ISO 3166-1 country (else 422 `unknown_country`); upper-cased.
pub fn country_param(c: &str) -> Result<String, ApiError> {
    if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(ApiError::validation(
            "invalid_country",
            "country",
            "country must be an ISO 3166-1 alpha-2 code (two letters)",
        ));
    }
    crate::address_rules::country(c).ok_or_else(|| {
        ApiError::unprocessable("unknown_country", "country", "no country has this code")
    })
}

/// A supported ISO 4217 currency code (case-insensitive; returned upper case).
pub fn currency(c: &str) -> Result<String, ApiError> {
    let up = c.trim().to_ascii_uppercase();
    if crate::money::exponent(&up).is_some() {
        Ok(up)
    } else {
        let known: Vec<&str> = crate::money::CURRENCIES.iter().map(|(c, _)| *c).collect();
        Err(ApiError::validation(
            "invalid_currency",
            "currency",
            format!("currency must be one of {}", known.join(", ")),
        ))
    }
}

/// A postal address as a client sends it (checked by [`address`]).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    pub name: String,
    pub line1: String,
    #[serde(default, deserialize_with = "crate::http::present")]
    pub line2: Option<String>,
    pub city: String,
    /// State, province or territory: required where the country needs one (US, CA, AU).
    #[serde(default, deserialize_with = "crate::http::present")]
    pub region: Option<String>,
    /// Required where the country has postal codes we know the format of.
    #[serde(default, deserialize_with = "crate::http::present")]
    pub postal_code: Option<String>,
    pub country: String,
    #[serde(default, deserialize_with = "crate::http::present")]
    pub phone: Option<String>,
}

/// 1 to `max` printable characters, trimmed (`invalid_address` naming `field` otherwise).
fn address_text(v: &str, field: &str, max: usize) -> Result<String, ApiError> {
    let v = v.trim();
    if v.is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(ApiError::validation(
            "invalid_address",
            field,
            format!("{field} must be 1-{max} printable characters"),
        ));
    }
    Ok(v.to_string())
}

/// An address with every part checked; `at` names it in errors (`shipping_address.city`; `city`
/// when `at` is empty).
/// Text that breaks the schema (empty, too long, control characters) is a 400; a country that does
/// not exist, a postal code not in the country's format or a missing or unknown region is a 422
/// (the schema cannot state those rules; see [`crate::address_rules`]).
pub fn address(a: &AddressInput, at: &str) -> Result<Address, ApiError> {
    use crate::address_rules::{self as rules, PostalError, RegionError};
    let field = |name: &str| {
        if at.is_empty() {
            name.to_string()
        } else {
            format!("{at}.{name}")
        }
    };
    let raw_country = a.country.trim();
    if raw_country.len() != 2 || !raw_country.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(ApiError::validation(
            "invalid_address",
            &field("country"),
            "country must be an ISO 3166-1 alpha-2 code, e.g. NL",
        ));
    }
    let name = address_text(&a.name, &field("name"), 100)?;
    let line1 = address_text(&a.line1, &field("line1"), 200)?;
    let line2 = a
        .line2
        .as_deref()
        .map(|l| address_text(l, &field("line2"), 200))
        .transpose()?;
    let city = address_text(&a.city, &field("city"), 100)?;
    let region = a
        .region
        .as_deref()
        .map(|r| address_text(r, &field("region"), 100))
        .transpose()?;
    let postal = a
        .postal_code
        .as_deref()
        .map(|p| address_text(p, &field("postal_code"), 20))
        .transpose()?;
    let phone = phone(a.phone.as_deref()).map_err(|_| {
        ApiError::validation(
            "invalid_phone",
            &field("phone"),
            "phone must be in international form, e.g. +31 20 123 4567",
        )
    })?;
    let country = rules::country(raw_country).ok_or_else(|| {
        ApiError::unprocessable(
            "invalid_address",
            &field("country"),
            format!("{raw_country} is not an ISO 3166-1 country code"),
        )
    })?;
    let postal_code = rules::postal_code(&country, postal.as_deref()).map_err(|e| match e {
        PostalError::Missing => ApiError::unprocessable(
            "invalid_address",
            &field("postal_code"),
            format!("addresses in {country} need a postal code"),
        ),
        PostalError::Format(example) => ApiError::unprocessable(
            "invalid_address",
            &field("postal_code"),
            format!("not a postal code of {country} (one looks like {example})"),
        ),
    })?;
    let region = rules::region(&country, region.as_deref()).map_err(|e| match e {
        RegionError::Missing => ApiError::unprocessable(
            "invalid_address",
            &field("region"),
            format!("addresses in {country} need a region (state, province or territory)"),
        ),
        RegionError::Unknown => ApiError::unprocessable(
            "invalid_address",
            &field("region"),
            format!("not a region of {country}: use its code (e.g. CA for California) or name"),
        ),
    })?;
    Ok(Address {
        name,
        line1,
        line2,
        city,
        region,
        postal_code,
        country,
        phone,
    })
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
    fn catalog_fields() {
        assert!(slug("kitchen-2", "category").is_ok());
        for bad in ["", "Kitchen", "a b", "a#b", &"x".repeat(41)] {
            assert_eq!(
                code(slug(bad, "category").unwrap_err()),
                "invalid_slug",
                "{bad:?}"
            );
        }
        assert_eq!(product_name("  Kettle ").unwrap(), "Kettle");
        assert!(product_name("").is_err());
        assert!(description("line 1\nline 2").is_ok());
        assert!(description(&"x".repeat(5001)).is_err());
        assert!(price(0).is_ok());
        assert!(price(-1).is_err());
        assert!(price(100_000_001).is_err());
        assert_eq!(currency("eur").unwrap(), "EUR");
        assert!(currency("EURO").is_err());
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
