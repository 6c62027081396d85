//! What an order costs: its lines, shipping and tax, added up exactly in minor units. The one
//! place a total is computed (checkout charges it, the cart estimates it, the order keeps it).
//!
//! - Each line's amount is its unit price × quantity less its share of any discount, as priced
//!   (gross when the shop's prices include tax, net when not).
//! - Tax is computed per line and on shipping at the destination's rate for the line's class
//!   (shipping at the standard rate), rounded per item ([`super::tax::tax_of`]).
//! - Inclusive: total = Σ line amounts − discount + shipping, the tax being part of them.
//!   Exclusive: total = Σ line amounts − discount + shipping + Σ tax. Either way Σ (net + tax) over the lines and shipping is the
//!   total, to the minor unit.

use super::tax::{TaxClass, rate_bp, tax_of};
use serde::{Deserialize, Serialize};

/// One line to price: its amount as priced (unit price × quantity), its share of a discount
/// (≤ amount) and its tax class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuoteLine {
    pub amount: i64,
    pub discount: i64,
    pub class: TaxClass,
}

/// The tax of one line (or of shipping).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LineTax {
    pub rate_bp: u32,
    pub tax: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    /// Per line, in the lines' order.
    pub lines: Vec<LineTax>,
    /// Σ line amounts (before the discount).
    pub subtotal: i64,
    /// Σ line discounts.
    pub discount: i64,
    pub shipping: i64,
    pub shipping_tax: LineTax,
    /// Σ line tax + shipping tax.
    pub tax_total: i64,
    pub total: i64,
    pub tax_included: bool,
}

/// Prices `lines` and `shipping` for delivery to `country`. `None` only if the sum overflows
/// (refused long before: prices and quantities are capped).
pub fn quote(
    lines: &[QuoteLine],
    shipping: i64,
    country: &str,
    prices_include_tax: bool,
) -> Option<Quote> {
    let taxed = |amount: i64, class: TaxClass| {
        let rate_bp = rate_bp(country, class);
        LineTax {
            rate_bp,
            tax: tax_of(amount, rate_bp, prices_include_tax),
        }
    };
    let taxes: Vec<LineTax> = lines
        .iter()
        .map(|l| taxed(l.amount - l.discount, l.class))
        .collect();
    let shipping_tax = taxed(shipping, TaxClass::Standard);
    let subtotal = lines
        .iter()
        .try_fold(0i64, |acc, l| acc.checked_add(l.amount))?;
    let discount = lines
        .iter()
        .try_fold(0i64, |acc, l| acc.checked_add(l.discount))?;
    let tax_total = taxes
        .iter()
        .try_fold(shipping_tax.tax, |acc, t| acc.checked_add(t.tax))?;
    let mut total = (subtotal - discount).checked_add(shipping)?;
    if !prices_include_tax {
        total = total.checked_add(tax_total)?;
    }
    Some(Quote {
        lines: taxes,
        subtotal,
        discount,
        shipping,
        shipping_tax,
        tax_total,
        total,
        tax_included: prices_include_tax,
    })
}

/// Splits `discount` over `amounts` in proportion, each share rounded down and the remainder
/// given a minor unit at a time to the largest fractional parts (ties to the earlier line): the
/// shares add up to `discount` exactly and none exceeds its amount. `discount` ≤ Σ amounts.
pub fn allocate(discount: i64, amounts: &[i64]) -> Vec<i64> {
    let sum: i128 = amounts.iter().map(|a| *a as i128).sum();
    if sum <= 0 || discount <= 0 {
        return vec![0; amounts.len()];
    }
    let d = (discount as i128).min(sum);
    let mut shares: Vec<(i64, i128, usize)> = amounts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let exact = d * *a as i128;
            ((exact / sum) as i64, exact % sum, i)
        })
        .collect();
    let mut left = (d - shares.iter().map(|s| s.0 as i128).sum::<i128>()) as i64;
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|a, b| shares[*b].1.cmp(&shares[*a].1).then(a.cmp(b)));
    for i in order {
        if left == 0 {
            break;
        }
        shares[i].0 += 1;
        left -= 1;
    }
    shares.into_iter().map(|s| s.0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn line(amount: i64, class: TaxClass) -> QuoteLine {
        QuoteLine {
            amount,
            discount: 0,
            class,
        }
    }

    #[test]
    fn inclusive_keeps_the_shown_prices() {
        let q = quote(
            &[line(990, TaxClass::Standard), line(1050, TaxClass::Reduced)],
            395,
            "GB",
            true,
        )
        .expect("quote");
        assert_eq!(q.subtotal, 2040);
        assert_eq!(q.total, 2435);
        // 9.90 at 20 % holds 1.65; 10.50 at 5 % holds 0.50; 3.95 at 20 % holds 0.6583 -> 0.66.
        assert_eq!(q.lines[0].tax, 165);
        assert_eq!(q.lines[1].tax, 50);
        assert_eq!(q.shipping_tax.tax, 66);
        assert_eq!(q.tax_total, 281);
    }

    #[test]
    fn exclusive_adds_per_line_rounded_tax() {
        // Three lines of 0.05 at 19 %: 0.0095 each -> 0.01 each, 0.03 in all (on the sum it
        // would be 0.0285 -> 0.03 too); two of 0.02: 0.0038 -> 0 each (on the sum 0.01).
        let q = quote(
            &[line(2, TaxClass::Standard), line(2, TaxClass::Standard)],
            0,
            "DE",
            false,
        )
        .expect("quote");
        assert_eq!(q.tax_total, 0, "rounded per line, not on the sum");
        assert_eq!(q.total, 4);
        let q = quote(
            &[line(1000, TaxClass::Standard), line(1000, TaxClass::Zero)],
            500,
            "DE",
            false,
        )
        .expect("quote");
        assert_eq!(q.lines[0].tax, 190);
        assert_eq!(q.lines[1], LineTax { rate_bp: 0, tax: 0 });
        assert_eq!(q.shipping_tax.tax, 95);
        assert_eq!(q.total, 2785);
    }

    #[test]
    fn outside_the_table_is_untaxed() {
        let q = quote(&[line(1000, TaxClass::Standard)], 500, "US", false).expect("quote");
        assert_eq!((q.tax_total, q.total), (0, 1500));
    }

    #[test]
    fn allocation_adds_up() {
        assert_eq!(allocate(100, &[100, 100, 100]), vec![34, 33, 33]);
        assert_eq!(allocate(0, &[5, 5]), vec![0, 0]);
        assert_eq!(allocate(10, &[10]), vec![10]);
        assert_eq!(
            allocate(50, &[10, 10]),
            vec![10, 10],
            "never more than the lines"
        );
        assert_eq!(allocate(7, &[0, 3, 0]), vec![0, 3, 0]);
    }

    fn class() -> impl Strategy<Value = TaxClass> {
        prop_oneof![
            Just(TaxClass::Standard),
            Just(TaxClass::Reduced),
            Just(TaxClass::Zero)
        ]
    }

    fn country() -> impl Strategy<Value = String> {
        prop_oneof![
            proptest::sample::select(super::super::tax::RATES.to_vec())
                .prop_map(|r| r.0.to_string()),
            Just("US".to_string()),
        ]
    }

    proptest! {
        /// For random carts: Σ (net + tax) of the lines and shipping is the total, the tax lines
        /// add up to the tax total, each tax is the exact one rounded (never off by more than half
        /// a minor unit), and a discount's shares add up to it.
        #[test]
        fn totals_add_up_exactly(
            prices in proptest::collection::vec((1i64..=100_000_000, 1i64..=99, class()), 1..=25),
            shipping in 0i64..=100_000,
            discount_pct in 0i64..=100,
            country in country(),
            inclusive in any::<bool>(),
        ) {
            let amounts: Vec<i64> = prices.iter().map(|(p, q, _)| p * q).collect();
            let gross: i64 = amounts.iter().sum();
            let discount = gross * discount_pct / 100;
            let shares = allocate(discount, &amounts);
            prop_assert_eq!(shares.iter().sum::<i64>(), discount);
            let lines: Vec<QuoteLine> = prices.iter().zip(&amounts).zip(&shares)
                .map(|(((_, _, c), a), s)| { prop_assert!(*s <= *a); Ok(QuoteLine { amount: *a, discount: *s, class: *c }) })
                .collect::<Result<_, _>>()?;
            let q = quote(&lines, shipping, &country, inclusive).expect("no overflow");
            let tax: i64 = q.lines.iter().map(|t| t.tax).sum::<i64>() + q.shipping_tax.tax;
            prop_assert_eq!(tax, q.tax_total);
            let net = |amount: i64, t: &LineTax| if inclusive { amount - t.tax } else { amount };
            let sum: i64 = lines.iter().zip(&q.lines).map(|(l, t)| net(l.amount - l.discount, t) + t.tax).sum::<i64>()
                + net(shipping, &q.shipping_tax) + q.shipping_tax.tax;
            prop_assert_eq!(sum, q.total);
            prop_assert_eq!((q.subtotal, q.discount), (gross, discount));
            for (l, t) in lines.iter().zip(&q.lines).chain([(&line(shipping, TaxClass::Standard), &q.shipping_tax)]) {
                let (a, r) = ((l.amount - l.discount) as f64, t.rate_bp as f64);
                let exact = if inclusive { a * r / (10_000.0 + r) } else { a * r / 10_000.0 };
                prop_assert!((t.tax as f64 - exact).abs() <= 0.5 + 1e-6, "{} vs {}", t.tax, exact);
            }
        }
    }
}
