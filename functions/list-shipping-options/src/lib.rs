//! `GET /shipping-options?country=DE[&currency=EUR]` → 200 `{country, zone, tax_included,
//! tax_rates, options: [{option_id, name, delivery_days?, rates: {<currency>: rate}}]}`: how the
//! shop ships to a country and what it charges (public, cacheable). A rate is `{kind: "flat",
//! amount, free_from?}` or `{kind: "weight_bands", bands: [{up_to_grams, amount}], free_from?}` in
//! minor units; `GET /cart?country=` prices them for a cart. A country the shop does not ship to
//! answers 200 with `zone: null` and no options.

use ferrocart::selling::shipping::{Rate, ShippingOption};
use ferrocart::selling::tax::{TaxClass, rate_bp};
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
use ferrocart::{ApiError, http, validate};
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use std::collections::BTreeMap;

/// Built once per cold start ([`FunctionContext`]): every setting this function needs.
pub struct Context {
    pub store: Store,
}

impl FunctionContext for Context {
    fn from_startup(startup: &Startup) -> Result<Self, ConfigError> {
        Ok(Self {
            store: startup.store()?,
        })
    }
}

#[derive(Serialize)]
struct ZoneView {
    zone_id: String,
    name: String,
}

#[derive(Serialize)]
struct TaxRates {
    standard_bp: u32,
    reduced_bp: u32,
}

#[derive(Serialize)]
struct OptionView {
    option_id: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    delivery_days: Option<[u8; 2]>,
    rates: BTreeMap<String, Rate>,
}

#[derive(Serialize)]
struct ShippingOptions {
    country: String,
    zone: Option<ZoneView>,
    /// The shop's prices include tax.
    tax_included: bool,
    /// The country's rates, in basis points (2000 = 20 %); 0 where the shop charges none.
    tax_rates: TaxRates,
    options: Vec<OptionView>,
}

fn option_view(o: &ShippingOption, currency: Option<&str>) -> Option<OptionView> {
    let rates: BTreeMap<String, Rate> = o
        .rates
        .iter()
        .filter(|(c, _)| currency.is_none_or(|want| want == c.as_str()))
        .map(|(c, r)| (c.clone(), r.clone()))
        .collect();
    (!rates.is_empty()).then(|| OptionView {
        option_id: o.option_id.clone(),
        name: o.name.clone(),
        delivery_days: o.delivery_days,
        rates,
    })
}

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let q = http::query_params(&req, &["country", "currency"])?;
    let country = q.get("country").ok_or_else(|| {
        ApiError::validation(
            "country_required",
            "country",
            "give the country to ship to: ?country=DE (ISO 3166-1 alpha-2)",
        )
    })?;
    let country = validate::country_param(country)?;
    let currency = q
        .get("currency")
        .map(|c| validate::currency(c))
        .transpose()?;
    let (config, _, _) = ctx.store.selling_config().await?;
    let zone = config.shipping.zone_of(&country);
    let view = ShippingOptions {
        zone: zone.map(|z| ZoneView {
            zone_id: z.zone_id.clone(),
            name: z.name.clone(),
        }),
        options: zone
            .map(|z| {
                z.options
                    .iter()
                    .filter_map(|o| option_view(o, currency.as_deref()))
                    .collect()
            })
            .unwrap_or_default(),
        tax_included: config.tax.prices_include_tax,
        tax_rates: TaxRates {
            standard_bp: rate_bp(&country, TaxClass::Standard),
            reduced_bp: rate_bp(&country, TaxClass::Reduced),
        },
        country,
    };
    Ok(http::cacheable_json(
        &req,
        &view,
        "public, max-age=60, s-maxage=300, stale-while-revalidate=300",
    ))
}
