//! Tax: the shop's prices are tax-inclusive or tax-exclusive ([`TaxSettings`]), each product has a
//! [`TaxClass`], and the rate is the destination country's for that class ([`RATES`]).
//!
//! Rounding (docs/selling.md): tax is computed per line and on shipping, each rounded to the
//! currency's minor unit half away from zero, never on the sum. Exclusive prices: tax =
//! round(net × rate); inclusive prices: tax = round(gross × rate / (1 + rate)), the gross staying
//! what the customer was shown. Rates are basis points (2000 = 20 %), so every computation is
//! integer arithmetic.

use serde::{Deserialize, Serialize};

/// Which of a country's rates a product pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TaxClass {
    #[default]
    Standard,
    /// The country's main reduced rate (food, books, ... as its law says).
    Reduced,
    /// Zero-rated.
    Zero,
}

impl TaxClass {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "standard" => Some(Self::Standard),
            "reduced" => Some(Self::Reduced),
            "zero" => Some(Self::Zero),
            _ => None,
        }
    }
}

/// The shop's tax settings (admin-editable, one item; the default when none is stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxSettings {
    /// Prices (products, shipping, fixed discounts) include tax: the EU and UK norm for shops that
    /// sell to consumers, and the default.
    pub prices_include_tax: bool,
}

impl Default for TaxSettings {
    fn default() -> Self {
        Self {
            prices_include_tax: true,
        }
    }
}

/// Standard and main reduced rate per country, in basis points.
///
/// Source: the European Commission's list "VAT rates applied in the Member States of the European
/// Union" (Taxes in Europe Database), rates in force from 2025-08-01 (Estonia 24 % from 2025-07-01,
/// Romania 21 %/11 % from 2025-08-01, Slovakia 23 %/19 %, Finland 25.5 %/14 %); the UK, Norway,
/// Switzerland, Iceland, Japan, Australia and New Zealand from their tax authorities' published
/// rates. Compiled 2026-12-02; where a country has several reduced rates, the one for most
/// foodstuffs. Countries not listed (the United States, Canada: sales taxes by state or
/// province) are charged no tax by the shop: see docs/selling.md before selling there.
/// Keep the list sorted by country code (a unit test checks it).
pub const RATES: &[(&str, u32, u32)] = &[
    ("AT", 2000, 1000),
    ("AU", 1000, 0),
    ("BE", 2100, 600),
    ("BG", 2000, 900),
    ("CH", 810, 260),
    ("CY", 1900, 500),
    ("CZ", 2100, 1200),
    ("DE", 1900, 700),
    ("DK", 2500, 2500),
    ("EE", 2400, 900),
    ("ES", 2100, 1000),
    ("FI", 2550, 1400),
    ("FR", 2000, 550),
    ("GB", 2000, 500),
    ("GR", 2400, 1300),
    ("HR", 2500, 500),
    ("HU", 2700, 500),
    ("IE", 2300, 1350),
    ("IS", 2400, 1100),
    ("IT", 2200, 1000),
    ("JP", 1000, 800),
    ("LT", 2100, 900),
    ("LU", 1700, 800),
    ("LV", 2100, 1200),
    ("MT", 1800, 700),
    ("NL", 2100, 900),
    ("NO", 2500, 1500),
    ("NZ", 1500, 1500),
    ("PL", 2300, 800),
    ("PT", 2300, 600),
    ("RO", 2100, 1100),
    ("SE", 2500, 1200),
    ("SI", 2200, 950),
    ("SK", 2300, 1900),
];

/// The rate for `class` in `country` (ISO 3166-1 alpha-2, upper case), in basis points; 0 for a
/// country outside [`RATES`].
pub fn rate_bp(country: &str, class: TaxClass) -> u32 {
    if class == TaxClass::Zero {
        return 0;
    }
    match RATES.binary_search_by(|(c, _, _)| (*c).cmp(country)) {
        Ok(i) => {
            let (_, standard, reduced) = RATES[i];
            if class == TaxClass::Standard {
                standard
            } else {
                reduced
            }
        }
        Err(_) => 0,
    }
}

/// `a / b` rounded half away from zero (b > 0).
fn div_round(a: i128, b: i128) -> i128 {
    if a >= 0 {
        (2 * a + b) / (2 * b)
    } else {
        -((-2 * a + b) / (2 * b))
    }
}

/// The tax in `amount` (minor units) at `rate_bp`: the tax on a net amount, or the tax contained
/// in a gross one (`included`), rounded per the module's rule.
pub fn tax_of(amount: i64, rate_bp: u32, included: bool) -> i64 {
    let (a, r) = (amount as i128, rate_bp as i128);
    let t = if included {
        div_round(a * r, 10_000 + r)
    } else {
        div_round(a * r, 10_000)
    };
    t as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_plausible() {
        assert!(
            RATES.windows(2).all(|w| w[0].0 < w[1].0),
            "RATES must be sorted"
        );
        for (c, s, r) in RATES {
            assert_eq!(c.len(), 2);
            assert!(*s <= 3000 && r <= s, "{c}");
        }
    }

    #[test]
    fn rates_by_class() {
        assert_eq!(rate_bp("DE", TaxClass::Standard), 1900);
        assert_eq!(rate_bp("DE", TaxClass::Reduced), 700);
        assert_eq!(rate_bp("DE", TaxClass::Zero), 0);
        assert_eq!(rate_bp("FR", TaxClass::Reduced), 550);
        assert_eq!(rate_bp("US", TaxClass::Standard), 0);
        assert_eq!(rate_bp("de", TaxClass::Standard), 0);
    }

    #[test]
    fn rounding_half_away_from_zero() {
        // 19 % of 0.50 = 0.095 -> 0.10; of 0.02 = 0.0038 -> 0.00.
        assert_eq!(tax_of(50, 1900, false), 10);
        assert_eq!(tax_of(2, 1900, false), 0);
        // Exactly half: 20 % of 0.025... 2.5 minor units -> 3.
        assert_eq!(tax_of(1250, 20, false), 3);
        assert_eq!(tax_of(1249, 20, false), 2);
        // Included: 9.90 gross at 20 % holds 1.65 exactly; 10.00 at 19 % holds 1.5966 -> 1.60.
        assert_eq!(tax_of(990, 2000, true), 165);
        assert_eq!(tax_of(1000, 1900, true), 160);
        // 1.07 at 7 % holds exactly 0.07; 0.01 at 20 % holds 0.0017 -> 0.
        assert_eq!(tax_of(107, 700, true), 7);
        assert_eq!(tax_of(1, 2000, true), 0);
        assert_eq!(tax_of(-50, 1900, false), -10);
        assert_eq!(tax_of(0, 2500, true), 0);
    }
}
