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

/// An amount as a customer reads it, English style: the symbol where it is unambiguous
/// (`€1,234.50`, `£0.99`, `$12.00`, `¥1,500`), otherwise the code (`CHF 12.00`, `SEK 99.00`).
pub fn format(amount_minor: i64, currency: &str) -> String {
    let exp = exponent(currency).unwrap_or(2) as u32;
    let sign = if amount_minor < 0 { "-" } else { "" };
    let abs = amount_minor.unsigned_abs();
    let scale = 10u64.pow(exp);
    let (whole, frac) = (abs / scale, abs % scale);
    let digits = whole.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let number = if exp == 0 {
        grouped
    } else {
        format!("{grouped}.{frac:0width$}", width = exp as usize)
    };
    match currency {
        "EUR" => format!("{sign}€{number}"),
        "GBP" => format!("{sign}£{number}"),
        "USD" => format!("{sign}${number}"),
        "JPY" => format!("{sign}¥{number}"),
        "AUD" => format!("{sign}A${number}"),
        "CAD" => format!("{sign}CA${number}"),
        code => format!("{sign}{code} {number}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_for_people() {
        use super::format;
        assert_eq!(format(123_450, "EUR"), "€1,234.50");
        assert_eq!(format(99, "GBP"), "£0.99");
        assert_eq!(format(5, "USD"), "$0.05");
        assert_eq!(format(1_500, "JPY"), "¥1,500");
        assert_eq!(format(1_200, "CHF"), "CHF 12.00");
        assert_eq!(format(100_000_000, "SEK"), "SEK 1,000,000.00");
        assert_eq!(format(-250, "EUR"), "-€2.50");
        assert_eq!(format(0, "CAD"), "CA$0.00");
    }

    #[test]
    fn known_currencies() {
        assert_eq!(super::exponent("EUR"), Some(2));
        assert_eq!(super::exponent("JPY"), Some(0));
        assert_eq!(super::exponent("eur"), None);
        assert_eq!(super::exponent("XXX"), None);
    }
}
