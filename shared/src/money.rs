//! Money is an integer amount in the currency's minor unit, with an ISO 4217 code beside it.

/// Currencies the shop accepts, with their minor-unit exponent (ISO 4217).
pub const CURRENCIES: &[(&str, u8)] = &[
    ("AUD", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("DKK", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("JPY", 0),
    ("NOK", 2),
    ("PLN", 2),
    ("SEK", 2),
    ("USD", 2),
];

/// Largest unit price accepted, in minor units (1,000,000.00 in a 2-decimal currency).
pub const MAX_PRICE_MINOR: i64 = 100_000_000;

/// The minor-unit exponent of a supported currency code (upper case).
pub fn exponent(currency: &str) -> Option<u8> {
    CURRENCIES
        .iter()
        .find(|(c, _)| *c == currency)
        .map(|(_, e)| *e)
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_currencies() {
        assert_eq!(super::exponent("EUR"), Some(2));
        assert_eq!(super::exponent("JPY"), Some(0));
        assert_eq!(super::exponent("eur"), None);
        assert_eq!(super::exponent("XXX"), None);
    }
}
