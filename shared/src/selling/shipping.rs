//! Shipping: zones (sets of countries), each with options (standard, express, ...), each priced
//! per currency: flat, or by the cart's weight in bands, and optionally free from a subtotal.
//!
//! Rules (tested at their edges below, docs/selling.md):
//! - a country is in at most one zone; an option is offered to the addresses of its zone, for
//!   carts in a currency it has a rate in;
//! - weight bands: the first band whose `up_to_grams` the cart's weight does not exceed (a cart of
//!   exactly 1,000 g is in the "up to 1,000 g" band); a cart heavier than the last band cannot
//!   use the option;
//! - `free_from`: a subtotal (items, after discounts, as priced) at or above it ships free.

use crate::money;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// Zones and options beyond these are refused (one item holds the whole configuration).
pub const MAX_ZONES: usize = 50;
pub const MAX_OPTIONS_PER_ZONE: usize = 10;
pub const MAX_BANDS: usize = 20;
/// A cart weighs at most this (25 lines × 99 units × 30 kg would overflow nothing either way).
pub const MAX_PRODUCT_WEIGHT_GRAMS: u32 = 1_000_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ShippingConfig {
    pub zones: Vec<Zone>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Zone {
    pub zone_id: String,
    pub name: String,
    /// ISO 3166-1 alpha-2 codes.
    pub countries: Vec<String>,
    pub options: Vec<ShippingOption>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShippingOption {
    /// Unique across the configuration: what checkout's `shipping_option_id` names.
    pub option_id: String,
    pub name: String,
    /// Business days to deliver, as promised to the shopper (`[min, max]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_days: Option<[u8; 2]>,
    /// Price per currency (ISO 4217).
    pub rates: BTreeMap<String, Rate>,
}

/// An option's price in one currency; either kind may ship free from a subtotal (`free_from`:
/// a subtotal at or above it, in minor units).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Rate {
    Flat {
        amount: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        free_from: Option<i64>,
    },
    WeightBands {
        bands: Vec<Band>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        free_from: Option<i64>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    pub up_to_grams: u32,
    pub amount: i64,
}

impl Rate {
    /// What the option costs a cart of this subtotal and weight; `None` if the cart is heavier
    /// than the last band.
    pub fn price(&self, subtotal: i64, weight_grams: u64) -> Option<i64> {
        let (base, free_from) = match self {
            Rate::Flat { amount, free_from } => (*amount, free_from),
            Rate::WeightBands { bands, free_from } => (
                bands
                    .iter()
                    .find(|b| weight_grams <= u64::from(b.up_to_grams))?
                    .amount,
                free_from,
            ),
        };
        match free_from {
            Some(from) if subtotal >= *from => Some(0),
            _ => Some(base),
        }
    }

    pub fn free_from(&self) -> Option<i64> {
        match self {
            Rate::Flat { free_from, .. } | Rate::WeightBands { free_from, .. } => *free_from,
        }
    }
}

/// An option offered to a cart, priced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer<'a> {
    pub zone: &'a Zone,
    pub option: &'a ShippingOption,
    pub rate: &'a Rate,
    pub amount: i64,
}

impl ShippingConfig {
    /// The zone that ships to `country`, if any.
    pub fn zone_of(&self, country: &str) -> Option<&Zone> {
        self.zones
            .iter()
            .find(|z| z.countries.iter().any(|c| c == country))
    }

    /// The options `country` can have for a cart in `currency` of this subtotal and weight,
    /// priced, in the zone's order.
    pub fn offers(
        &self,
        country: &str,
        currency: &str,
        subtotal: i64,
        weight_grams: u64,
    ) -> Vec<Offer<'_>> {
        let Some(zone) = self.zone_of(country) else {
            return Vec::new();
        };
        zone.options
            .iter()
            .filter_map(|option| {
                let rate = option.rates.get(currency)?;
                let amount = rate.price(subtotal, weight_grams)?;
                Some(Offer {
                    zone,
                    option,
                    rate,
                    amount,
                })
            })
            .collect()
    }

    /// Every rule a stored configuration keeps: what the admin's write checks. The first
    /// problem found, as (field path, message).
    pub fn check(&self) -> Result<(), (String, String)> {
        let err = |f: String, m: &str| Err((f, m.to_string()));
        if self.zones.len() > MAX_ZONES {
            return err("zones".into(), "too many zones");
        }
        let mut countries = HashSet::new();
        let mut zone_ids = HashSet::new();
        let mut option_ids = HashSet::new();
        for (zi, z) in self.zones.iter().enumerate() {
            let at = format!("zones[{zi}]");
            if !slug(&z.zone_id) || !zone_ids.insert(z.zone_id.as_str()) {
                return err(
                    format!("{at}.zone_id"),
                    "zone_id must be 1-40 of a-z, 0-9, - and unique",
                );
            }
            if z.name.trim().is_empty() || z.name.chars().count() > 80 {
                return err(format!("{at}.name"), "name must be 1-80 characters");
            }
            if z.countries.is_empty() {
                return err(format!("{at}.countries"), "a zone needs a country");
            }
            for c in &z.countries {
                if crate::address_rules::country(c).as_deref() != Some(c.as_str()) {
                    return err(
                        format!("{at}.countries"),
                        "countries are ISO 3166-1 alpha-2 codes",
                    );
                }
                if !countries.insert(c.as_str()) {
                    return err(
                        format!("{at}.countries"),
                        "a country may be in one zone only",
                    );
                }
            }
            if z.options.is_empty() || z.options.len() > MAX_OPTIONS_PER_ZONE {
                return err(
                    format!("{at}.options"),
                    "a zone has 1 to 10 shipping options",
                );
            }
            for (oi, o) in z.options.iter().enumerate() {
                let at = format!("{at}.options[{oi}]");
                if !slug(&o.option_id) || !option_ids.insert(o.option_id.as_str()) {
                    return err(
                        format!("{at}.option_id"),
                        "option_id must be 1-40 of a-z, 0-9, - and unique across zones",
                    );
                }
                if o.name.trim().is_empty() || o.name.chars().count() > 80 {
                    return err(format!("{at}.name"), "name must be 1-80 characters");
                }
                if let Some([lo, hi]) = o.delivery_days
                    && (lo > hi || hi > 120)
                {
                    return err(
                        format!("{at}.delivery_days"),
                        "delivery_days is [min, max] with min <= max <= 120",
                    );
                }
                if o.rates.is_empty() {
                    return err(format!("{at}.rates"), "an option needs a rate");
                }
                for (cur, r) in &o.rates {
                    let at = format!("{at}.rates.{cur}");
                    if money::exponent(cur).is_none() {
                        return err(at, "rates are keyed by a supported currency code");
                    }
                    let amount_ok = |a: i64| (0..=money::MAX_PRICE_MINOR).contains(&a);
                    match r {
                        Rate::Flat { amount, .. } if !amount_ok(*amount) => {
                            return err(format!("{at}.amount"), "amount is 0 to 100000000");
                        }
                        Rate::WeightBands { bands, .. } => {
                            if bands.is_empty() || bands.len() > MAX_BANDS {
                                return err(format!("{at}.bands"), "1 to 20 weight bands");
                            }
                            if !bands
                                .windows(2)
                                .all(|w| w[0].up_to_grams < w[1].up_to_grams)
                            {
                                return err(
                                    format!("{at}.bands"),
                                    "bands rise strictly by up_to_grams",
                                );
                            }
                            if bands.iter().any(|b| !amount_ok(b.amount)) {
                                return err(format!("{at}.bands"), "amount is 0 to 100000000");
                            }
                        }
                        Rate::Flat { .. } => {}
                    }
                    if let Some(f) = r.free_from()
                        && !amount_ok(f)
                    {
                        return err(format!("{at}.free_from"), "free_from is 0 to 100000000");
                    }
                }
            }
        }
        Ok(())
    }
}

fn slug(s: &str) -> bool {
    (1..=40).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ShippingConfig {
        serde_json::from_value(serde_json::json!({"zones": [
            {"zone_id": "uk", "name": "United Kingdom", "countries": ["GB"], "options": [
                {"option_id": "uk-standard", "name": "Standard", "delivery_days": [2, 4],
                 "rates": {"GBP": {"kind": "flat", "amount": 395, "free_from": 5000}}},
                {"option_id": "uk-express", "name": "Express",
                 "rates": {"GBP": {"kind": "weight_bands", "bands": [
                     {"up_to_grams": 1000, "amount": 695}, {"up_to_grams": 5000, "amount": 995}]}}}
            ]},
            {"zone_id": "eu", "name": "EU", "countries": ["DE", "FR"], "options": [
                {"option_id": "eu-standard", "name": "Standard",
                 "rates": {"EUR": {"kind": "flat", "amount": 495}}}
            ]}
        ]}))
        .expect("valid config")
    }

    #[test]
    fn zones_and_currencies() {
        let c = config();
        assert!(c.check().is_ok());
        assert_eq!(c.offers("GB", "GBP", 100, 0).len(), 2);
        assert!(
            c.offers("GB", "EUR", 100, 0).is_empty(),
            "no EUR rate in the UK"
        );
        assert_eq!(c.offers("FR", "EUR", 100, 0)[0].amount, 495);
        assert!(c.offers("US", "USD", 100, 0).is_empty(), "no zone");
    }

    #[test]
    fn free_from_is_inclusive() {
        let c = config();
        assert_eq!(c.offers("GB", "GBP", 4999, 0)[0].amount, 395);
        assert_eq!(c.offers("GB", "GBP", 5000, 0)[0].amount, 0);
    }

    #[test]
    fn band_edges() {
        let c = config();
        let express = |w| {
            c.offers("GB", "GBP", 100, w)
                .iter()
                .find(|o| o.option.option_id == "uk-express")
                .map(|o| o.amount)
        };
        assert_eq!(express(0), Some(695));
        assert_eq!(express(1000), Some(695));
        assert_eq!(express(1001), Some(995));
        assert_eq!(express(5000), Some(995));
        assert_eq!(express(5001), None, "heavier than the last band");
        // The flat option still ships it.
        assert_eq!(c.offers("GB", "GBP", 100, 5001).len(), 1);
    }

    #[test]
    fn check_refuses_what_cannot_be_priced() {
        let mut c = config();
        c.zones[1].countries.push("GB".into());
        assert_eq!(c.check().unwrap_err().0, "zones[1].countries");
        let mut c = config();
        c.zones[1].options[0].option_id = "uk-standard".into();
        assert_eq!(c.check().unwrap_err().0, "zones[1].options[0].option_id");
        let mut c = config();
        if let Some(Rate::WeightBands { bands, .. }) = c.zones[0].options[1].rates.get_mut("GBP") {
            bands.swap(0, 1);
        }
        assert_eq!(
            c.check().unwrap_err().0,
            "zones[0].options[1].rates.GBP.bands"
        );
        let mut c = config();
        c.zones[0].countries[0] = "XX".into();
        assert!(c.check().is_err());
        let mut c = config();
        c.zones[0].options[0].rates.insert(
            "XXX".into(),
            Rate::Flat {
                amount: 1,
                free_from: None,
            },
        );
        assert!(c.check().is_err());
    }

    #[test]
    fn stored_as_dynamodb_attributes() {
        let c = config();
        let item: serde_dynamo::Item = serde_dynamo::to_item(&c).expect("to item");
        let back: ShippingConfig = serde_dynamo::from_item(item).expect("from item");
        assert_eq!(back, c);
    }
}
