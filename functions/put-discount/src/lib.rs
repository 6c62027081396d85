//! `PUT /admin/discounts/{code}` (admin) `{saving, currency?, min_subtotal?, starts_at?, ends_at?,
//! max_uses?, max_uses_per_customer?, product_ids?, categories?, active?, version?}` → 201 the new
//! code, or 200 the code replaced. Without `version` it creates the code (409 `discount_exists`
//! if there is one); with it, it replaces the rules of the code at that version (409
//! `version_conflict` if it changed since, 404 if there is none). Uses are kept. A code cannot be
//! deleted, only switched off (`active: false`), so the orders that used it still name it.
//!
//! `saving` is `{type: "percent", percent: 1-100}` or `{type: "fixed", amount}` (minor units of
//! `currency`, which it then needs, as `min_subtotal` does). Times are RFC 3339; the code applies
//! from `starts_at` until before `ends_at`. Named products and categories must exist (422
//! `unknown_product` / `unknown_category`).

use ferrocart::auth::{TokenService, authenticate, require_admin};
use ferrocart::ids::ProductId;
use ferrocart::keys;
use ferrocart::selling::discount::{DiscountRules, MAX_TARGETS, Saving, normalise_code};
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
use ferrocart::store::catalog::CategoryItem;
use ferrocart::store::discounts::{DiscountItem, DiscountSaved};
use ferrocart::views::discount_view::AdminDiscount;
use ferrocart::{ApiError, http, validate};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;

/// Built once per cold start ([`FunctionContext`]): every setting this function needs.
pub struct Context {
    pub store: Store,
    pub tokens: TokenService,
    pub max_body_bytes: usize,
}

impl FunctionContext for Context {
    fn from_startup(startup: &Startup) -> Result<Self, ConfigError> {
        Ok(Self {
            store: startup.store()?,
            tokens: startup.tokens()?,
            max_body_bytes: startup.max_body_bytes()?,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum SavingKind {
    Percent,
    Fixed,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavingInput {
    #[serde(rename = "type")]
    kind: SavingKind,
    #[serde(default, deserialize_with = "ferrocart::http::whole_opt")]
    percent: Option<i64>,
    #[serde(default, deserialize_with = "ferrocart::http::whole_opt")]
    amount: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PutRequest {
    saving: SavingInput,
    #[serde(default, deserialize_with = "ferrocart::http::present")]
    currency: Option<String>,
    #[serde(default, deserialize_with = "ferrocart::http::whole_opt")]
    min_subtotal: Option<i64>,
    #[serde(default, deserialize_with = "ferrocart::http::present")]
    starts_at: Option<String>,
    #[serde(default, deserialize_with = "ferrocart::http::present")]
    ends_at: Option<String>,
    #[serde(default, deserialize_with = "ferrocart::http::whole_opt")]
    max_uses: Option<i64>,
    #[serde(default, deserialize_with = "ferrocart::http::whole_opt")]
    max_uses_per_customer: Option<i64>,
    #[serde(default, deserialize_with = "ferrocart::http::present")]
    product_ids: Option<Vec<String>>,
    #[serde(default, deserialize_with = "ferrocart::http::present")]
    categories: Option<Vec<String>>,
    #[serde(default, deserialize_with = "ferrocart::http::present")]
    active: Option<bool>,
    #[serde(default, deserialize_with = "ferrocart::http::whole_opt")]
    version: Option<i64>,
}

/// 400 unless `v` is in `range` (what the schema says).
fn in_range(v: i64, range: std::ops::RangeInclusive<i64>, field: &str) -> Result<i64, ApiError> {
    if range.contains(&v) {
        Ok(v)
    } else {
        Err(ApiError::validation(
            "invalid_value",
            field,
            format!("{field} must be from {} to {}", range.start(), range.end()),
        ))
    }
}

fn saving(s: &SavingInput) -> Result<Saving, ApiError> {
    let max = ferrocart::money::MAX_PRICE_MINOR;
    match (&s.kind, s.percent, s.amount) {
        (SavingKind::Percent, Some(p), None) => Ok(Saving::Percent {
            percent: in_range(p, 1..=100, "saving.percent")? as u32,
        }),
        (SavingKind::Fixed, None, Some(a)) => Ok(Saving::Fixed {
            amount: in_range(a, 1..=max, "saving.amount")?,
        }),
        _ => Err(ApiError::validation(
            "invalid_saving",
            "saving",
            "saving is {type: \"percent\", percent} or {type: \"fixed\", amount}",
        )),
    }
}

/// The rules as asked; 400 for what breaks the schema, 422 for what breaks a rule.
fn rules(body: &PutRequest) -> Result<DiscountRules, ApiError> {
    let max = ferrocart::money::MAX_PRICE_MINOR;
    let count = |v: Option<i64>, field| {
        v.map(|v| in_range(v, 1..=1_000_000_000, field).map(|v| v as u32))
            .transpose()
    };
    let list = |v: &Option<Vec<String>>, field: &str| -> Result<Vec<String>, ApiError> {
        let v = v.clone().unwrap_or_default();
        if v.len() > MAX_TARGETS {
            return Err(ApiError::validation(
                "invalid_value",
                field,
                format!("{field} names at most {MAX_TARGETS}"),
            ));
        }
        Ok(v)
    };
    let product_ids = list(&body.product_ids, "product_ids")?;
    for id in &product_ids {
        if ProductId::parse(id).is_none() {
            return Err(ApiError::validation(
                "invalid_product_id",
                "product_ids",
                "product_ids are product ids",
            ));
        }
    }
    let categories = list(&body.categories, "categories")?;
    for c in &categories {
        validate::slug(c, "categories")?;
    }
    let r = DiscountRules {
        saving: saving(&body.saving)?,
        currency: body
            .currency
            .as_deref()
            .map(validate::currency)
            .transpose()?,
        min_subtotal: body
            .min_subtotal
            .map(|m| in_range(m, 1..=max, "min_subtotal"))
            .transpose()?,
        starts_at: body
            .starts_at
            .as_deref()
            .map(|s| validate::timestamp(s, "starts_at"))
            .transpose()?,
        ends_at: body
            .ends_at
            .as_deref()
            .map(|s| validate::timestamp(s, "ends_at"))
            .transpose()?,
        max_uses: count(body.max_uses, "max_uses")?,
        max_uses_per_customer: count(body.max_uses_per_customer, "max_uses_per_customer")?,
        product_ids,
        categories,
        active: body.active.unwrap_or(true),
    };
    r.check()
        .map_err(|(field, message)| ApiError::unprocessable("invalid_discount", field, message))?;
    Ok(r)
}

/// 422 unless every product and category the code names exists.
async fn targets_exist(ctx: &Context, r: &DiscountRules) -> Result<(), ApiError> {
    let ids: Vec<ProductId> = r
        .product_ids
        .iter()
        .filter_map(|p| ProductId::parse(p))
        .collect();
    let found = ctx.store.batch_get_products(&ids).await?;
    if let Some(missing) = ids
        .iter()
        .find(|id| !found.iter().any(|p| &p.product_id == *id))
    {
        return Err(ApiError::unprocessable(
            "unknown_product",
            "product_ids",
            format!("no such product: {missing}"),
        ));
    }
    for c in &r.categories {
        if ctx
            .store
            .get::<CategoryItem>(&keys::category(c), false)
            .await?
            .is_none()
        {
            return Err(ApiError::unprocessable(
                "unknown_category",
                "categories",
                format!("no such category: {c}"),
            ));
        }
    }
    Ok(())
}

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let principal = authenticate(&ctx.tokens, &ctx.store, &req).await?;
    require_admin(&principal)?;
    let code = http::path_id(&req, "code", normalise_code, "discount code")?;
    let body: PutRequest = http::parse_json(&req, ctx.max_body_bytes)?;
    let rules = rules(&body)?;
    let version = body
        .version
        .map(|v| in_range(v, 1..=i64::MAX, "version"))
        .transpose()?;
    targets_exist(ctx, &rules).await?;
    let now = ferrocart::time::now_unix();
    let (saved, status) = match version {
        None => (
            ctx.store
                .create_discount(&DiscountItem::new(&code, rules, now))
                .await?,
            StatusCode::CREATED,
        ),
        Some(v) => (
            ctx.store
                .update_discount(&code, &rules, v as u64, now)
                .await?,
            StatusCode::OK,
        ),
    };
    match saved {
        DiscountSaved::Saved(item) => {
            tracing::info!(code = %code, admin = %principal.user_id, version = item.version, "discount code saved");
            Ok(http::json_response(status, &AdminDiscount::from(*item)))
        }
        DiscountSaved::VersionConflict if version.is_none() => Err(ApiError::conflict(
            "discount_exists",
            "a code of that name exists: send its version to change it",
        )),
        DiscountSaved::VersionConflict => Err(ApiError::conflict(
            "version_conflict",
            "the code changed since that version: read it again (GET /admin/discounts)",
        )),
        DiscountSaved::NotFound => Err(ApiError::NotFound("discount code")),
    }
}
