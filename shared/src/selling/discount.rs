//! Discount codes: what a code takes off a cart, and when it may.
//!
//! Rules (tested at their edges below, docs/selling.md):
//! - a code is a percentage off (1-100 %) or a fixed amount off in one currency; a percentage may
//!   be limited to one currency too, and a minimum subtotal needs a currency;
//! - it applies to the lines of the products it names and of the categories it names; naming
//!   neither, to every line. Lines it does not cover keep their price;
//! - the minimum subtotal is the whole cart's (items as priced, before the discount), reached at
//!   or above it;
//! - its window starts at `starts_at` (inclusive) and ends at `ends_at` (exclusive), like a sale;
//! - a percentage is of the covered lines' sum, rounded half up to the minor unit; a fixed amount
//!   never takes more than the covered lines cost;
//! - the saving is shared over the covered lines in proportion ([`super::quote::allocate`]), so
//!   each line's tax is computed on what is paid for it;
//! - its uses in all and per customer are counted by checkout's transaction (the store), not
//!   here: [`Discount::apply`] is told the uses so far only to refuse a code already used up.

use super::quote::allocate;
use crate::money;
use serde::{Deserialize, Serialize};

/// Codes are 3-32 of A-Z, 0-9, `-`, `_`, kept in upper case (a shopper's `summer-10` is
/// `SUMMER-10`).
pub const CODE_LEN: std::ops::RangeInclusive<usize> = 3..=32;
/// Products or categories one code may name.
pub const MAX_TARGETS: usize = 20;

/// The shopper's spelling of a code, normalised; `None` if it cannot be a code.
pub fn normalise_code(raw: &str) -> Option<String> {
    let code = raw.to_ascii_uppercase();
    (CODE_LEN.contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_')))
    .then_some(code)
}

/// What a code takes off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Saving {
    /// `percent` % of the covered lines (1-100).
    Percent { percent: u32 },
    /// `amount` minor units of the code's currency.
    Fixed { amount: i64 },
}

/// A code's rules as the admin sets them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscountRules {
    pub saving: Saving,
    /// The only currency it applies in (required by a fixed amount or a minimum subtotal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_subtotal: Option<i64>,
    /// Unix seconds; the window is `[starts_at, ends_at)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<u64>,
    /// Orders that may use it, in all and per customer (none: no limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_uses: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_uses_per_customer: Option<u32>,
    /// Covered products (ids) and categories (slugs); both empty: the whole cart.
    #[serde(default)]
    pub product_ids: Vec<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    /// A code switched off applies to nothing (kept so orders that used it still name it).
    pub active: bool,
}

/// Why a code does not apply to a cart now: each its own answer (`code()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Inactive,
    NotStarted,
    Ended,
    /// The cart is priced in another currency than the code's.
    Currency,
    /// No line of the cart is covered.
    NotApplicable,
    /// The cart's subtotal is below the code's minimum (which it says).
    MinimumNotMet(i64),
    /// Every use is taken.
    UsedUp,
    /// This customer used it as often as one may.
    CustomerLimit,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::Inactive => "discount_inactive",
            Refusal::NotStarted => "discount_not_started",
            Refusal::Ended => "discount_expired",
            Refusal::Currency => "discount_currency_mismatch",
            Refusal::NotApplicable => "discount_not_applicable",
            Refusal::MinimumNotMet(_) => "discount_minimum_not_met",
            Refusal::UsedUp => "discount_used_up",
            Refusal::CustomerLimit => "discount_limit_reached",
        }
    }

    pub fn message(self) -> String {
        match self {
            Refusal::Inactive => "this discount code is no longer offered".into(),
            Refusal::NotStarted => "this discount code is not valid yet".into(),
            Refusal::Ended => "this discount code has expired".into(),
            Refusal::Currency => "this discount code is for carts in another currency".into(),
            Refusal::NotApplicable => "this discount code covers nothing in the cart".into(),
            Refusal::MinimumNotMet(min) => format!(
                "this discount code needs a subtotal of at least {min} (minor units of the cart's currency)"
            ),
            Refusal::UsedUp => "this discount code has been used as often as it may".into(),
            Refusal::CustomerLimit => {
                "you have used this discount code as often as one customer may".into()
            }
        }
    }
}

/// One cart line as a code sees it.
#[derive(Debug, Clone, Copy)]
pub struct DiscountLine<'a> {
    /// The line's total as priced (unit price × quantity).
    pub amount: i64,
    pub product_id: &'a str,
    pub category: &'a str,
}

/// What a code takes off a cart: in all, and per line (in the lines' order; 0 for a line it does
/// not cover). The shares add up to `amount`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub amount: i64,
    pub shares: Vec<i64>,
}

impl DiscountRules {
    fn covers(&self, line: &DiscountLine<'_>) -> bool {
        (self.product_ids.is_empty() && self.categories.is_empty())
            || self.product_ids.iter().any(|p| p == line.product_id)
            || self.categories.iter().any(|c| c == line.category)
    }

    /// What the code takes off `lines` (a cart in `currency`) at `now`, having been used `uses`
    /// times; or why it does not apply.
    pub fn apply(
        &self,
        now: u64,
        currency: &str,
        uses: u32,
        lines: &[DiscountLine<'_>],
    ) -> Result<Applied, Refusal> {
        if !self.active {
            return Err(Refusal::Inactive);
        }
        if self.starts_at.is_some_and(|s| now < s) {
            return Err(Refusal::NotStarted);
        }
        if self.ends_at.is_some_and(|e| now >= e) {
            return Err(Refusal::Ended);
        }
        if self.max_uses.is_some_and(|m| uses >= m) {
            return Err(Refusal::UsedUp);
        }
        if self.currency.as_deref().is_some_and(|c| c != currency) {
            return Err(Refusal::Currency);
        }
        let subtotal: i64 = lines.iter().map(|l| l.amount).sum();
        if let Some(min) = self.min_subtotal
            && subtotal < min
        {
            return Err(Refusal::MinimumNotMet(min));
        }
        let covered: Vec<i64> = lines
            .iter()
            .map(|l| if self.covers(l) { l.amount } else { 0 })
            .collect();
        let base: i64 = covered.iter().sum();
        if base <= 0 {
            return Err(Refusal::NotApplicable);
        }
        let amount = match self.saving {
            Saving::Percent { percent } => {
                ((base as i128 * i128::from(percent) + 50) / 100).min(base as i128) as i64
            }
            Saving::Fixed { amount } => amount.min(base),
        };
        Ok(Applied {
            amount,
            shares: allocate(amount, &covered),
        })
    }

    /// The rules an admin may save: `Err((field, message))` names the first that is not.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        match self.saving {
            Saving::Percent { percent } if !(1..=100).contains(&percent) => {
                return Err((
                    "saving.percent",
                    "a percentage is a whole number from 1 to 100".into(),
                ));
            }
            Saving::Fixed { amount } if !(1..=money::MAX_PRICE_MINOR).contains(&amount) => {
                return Err((
                    "saving.amount",
                    format!(
                        "a fixed amount is 1 to {} minor units",
                        money::MAX_PRICE_MINOR
                    ),
                ));
            }
            Saving::Fixed { .. } if self.currency.is_none() => {
                return Err(("currency", "a fixed amount needs its currency".into()));
            }
            _ => {}
        }
        if let Some(min) = self.min_subtotal {
            if !(1..=money::MAX_PRICE_MINOR).contains(&min) {
                return Err((
                    "min_subtotal",
                    format!(
                        "min_subtotal is 1 to {} minor units",
                        money::MAX_PRICE_MINOR
                    ),
                ));
            }
            if self.currency.is_none() {
                return Err(("currency", "a minimum subtotal needs its currency".into()));
            }
        }
        if let Some(c) = &self.currency
            && money::exponent(c).is_none()
        {
            return Err(("currency", "not a currency the shop sells in".into()));
        }
        if let (Some(s), Some(e)) = (self.starts_at, self.ends_at)
            && e <= s
        {
            return Err(("ends_at", "ends_at must be after starts_at".into()));
        }
        for (field, limit) in [
            ("max_uses", self.max_uses),
            ("max_uses_per_customer", self.max_uses_per_customer),
        ] {
            if limit == Some(0) {
                return Err((field, format!("{field} is at least 1 (or left out)")));
            }
        }
        if self.product_ids.len() > MAX_TARGETS || self.categories.len() > MAX_TARGETS {
            return Err((
                "product_ids",
                format!("a code names at most {MAX_TARGETS} products and {MAX_TARGETS} categories"),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(saving: Saving) -> DiscountRules {
        DiscountRules {
            saving,
            currency: None,
            min_subtotal: None,
            starts_at: None,
            ends_at: None,
            max_uses: None,
            max_uses_per_customer: None,
            product_ids: vec![],
            categories: vec![],
            active: true,
        }
    }

    fn line<'a>(amount: i64, product_id: &'a str, category: &'a str) -> DiscountLine<'a> {
        DiscountLine {
            amount,
            product_id,
            category,
        }
    }

    #[test]
    fn codes_are_normalised() {
        assert_eq!(normalise_code("summer-10").as_deref(), Some("SUMMER-10"));
        assert_eq!(normalise_code(" SUMMER-10"), None);
        assert_eq!(normalise_code("ab"), None);
        assert_eq!(normalise_code(&"A".repeat(33)), None);
        assert_eq!(normalise_code("SUMMER 10"), None);
        assert_eq!(normalise_code("ÉTÉ10"), None);
    }

    #[test]
    fn a_percentage_rounds_half_up_and_is_shared_over_the_lines() {
        let r = rules(Saving::Percent { percent: 15 });
        // 15 % of 1,005 = 150.75 -> 151; of 1,003 = 150.45 -> 150.
        let a = r
            .apply(0, "EUR", 0, &[line(1005, "p1", "c")])
            .expect("applies");
        assert_eq!(a.amount, 151);
        let a = r
            .apply(0, "EUR", 0, &[line(1000, "p1", "c"), line(3, "p2", "c")])
            .expect("applies");
        assert_eq!(a.amount, 150);
        assert_eq!(a.shares.iter().sum::<i64>(), 150);
        assert_eq!(a.shares, vec![150, 0]);
        let all = rules(Saving::Percent { percent: 100 });
        let a = all
            .apply(0, "EUR", 0, &[line(999, "p1", "c"), line(1, "p2", "c")])
            .expect("applies");
        assert_eq!(a.shares, vec![999, 1], "100 % is everything, no more");
    }

    #[test]
    fn a_fixed_amount_never_takes_more_than_the_covered_lines() {
        let mut r = rules(Saving::Fixed { amount: 2000 });
        r.currency = Some("EUR".into());
        r.product_ids = vec!["p2".into()];
        let a = r
            .apply(0, "EUR", 0, &[line(5000, "p1", "c"), line(1500, "p2", "c")])
            .expect("applies");
        assert_eq!(
            a,
            Applied {
                amount: 1500,
                shares: vec![0, 1500]
            }
        );
        assert_eq!(
            r.apply(0, "GBP", 0, &[line(5000, "p2", "c")]),
            Err(Refusal::Currency)
        );
        assert_eq!(
            r.apply(0, "EUR", 0, &[line(5000, "p1", "c")]),
            Err(Refusal::NotApplicable)
        );
    }

    #[test]
    fn categories_and_products_cover_lines() {
        let mut r = rules(Saving::Percent { percent: 10 });
        r.categories = vec!["shoes".into()];
        r.product_ids = vec!["hat".into()];
        let a = r
            .apply(
                0,
                "EUR",
                0,
                &[
                    line(1000, "boot", "shoes"),
                    line(1000, "hat", "hats"),
                    line(1000, "scarf", "hats"),
                ],
            )
            .expect("applies");
        assert_eq!(a.shares, vec![100, 100, 0]);
    }

    #[test]
    fn the_window_the_minimum_and_the_uses_at_their_edges() {
        let mut r = rules(Saving::Percent { percent: 10 });
        r.starts_at = Some(100);
        r.ends_at = Some(200);
        r.min_subtotal = Some(1000);
        r.currency = Some("EUR".into());
        r.max_uses = Some(5);
        let cart = [line(600, "a", "c"), line(400, "b", "c")];
        assert_eq!(r.apply(99, "EUR", 0, &cart), Err(Refusal::NotStarted));
        assert!(r.apply(100, "EUR", 0, &cart).is_ok(), "starts inclusive");
        assert!(r.apply(199, "EUR", 4, &cart).is_ok());
        assert_eq!(
            r.apply(200, "EUR", 0, &cart),
            Err(Refusal::Ended),
            "ends exclusive"
        );
        assert_eq!(r.apply(150, "EUR", 5, &cart), Err(Refusal::UsedUp));
        assert_eq!(
            r.apply(150, "EUR", 0, &cart[..1]),
            Err(Refusal::MinimumNotMet(1000))
        );
        r.active = false;
        assert_eq!(r.apply(150, "EUR", 0, &cart), Err(Refusal::Inactive));
    }

    #[test]
    fn rules_an_admin_may_not_save() {
        let bad = |r: DiscountRules| r.check().expect_err("refused").0;
        assert_eq!(bad(rules(Saving::Percent { percent: 0 })), "saving.percent");
        assert_eq!(
            bad(rules(Saving::Percent { percent: 101 })),
            "saving.percent"
        );
        assert_eq!(bad(rules(Saving::Fixed { amount: 500 })), "currency");
        let mut r = rules(Saving::Percent { percent: 10 });
        r.min_subtotal = Some(1000);
        assert_eq!(bad(r.clone()), "currency");
        r.currency = Some("XXX".into());
        assert_eq!(bad(r.clone()), "currency");
        r.currency = Some("EUR".into());
        assert!(r.check().is_ok());
        r.starts_at = Some(10);
        r.ends_at = Some(10);
        assert_eq!(bad(r.clone()), "ends_at");
        r.ends_at = None;
        r.max_uses = Some(0);
        assert_eq!(bad(r), "max_uses");
    }
}
