//! `POST /me/addresses` (authenticated) `{name, line1, line2?, city, region?, postal_code?,
//! country, phone?, default?}` → 201 the saved address. The first address saved becomes the
//! default; `default: true` makes any new one the default. At most
//! [`MAX_ADDRESSES`](ferrocart::store::addresses::MAX_ADDRESSES) per customer, counted in the same
//! transaction as the write (409 `address_book_full`).

use ferrocart::auth::{TokenService, authenticate};
use ferrocart::ids::AddressId;
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
use ferrocart::store::addresses::{AddAddress, AddressItem, MAX_ADDRESSES};
use ferrocart::views::address_view::AddressView;
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
#[serde(deny_unknown_fields)]
struct CreateAddressRequest {
    name: String,
    line1: String,
    #[serde(default, deserialize_with = "ferrocart::http::present")]
    line2: Option<String>,
    city: String,
    #[serde(default, deserialize_with = "ferrocart::http::present")]
    region: Option<String>,
    #[serde(default, deserialize_with = "ferrocart::http::present")]
    postal_code: Option<String>,
    country: String,
    #[serde(default, deserialize_with = "ferrocart::http::present")]
    phone: Option<String>,
    #[serde(default, deserialize_with = "ferrocart::http::present")]
    default: Option<bool>,
}

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let principal = authenticate(&ctx.tokens, &ctx.store, &req).await?;
    let body: CreateAddressRequest = http::parse_json(&req, ctx.max_body_bytes)?;
    let input = validate::AddressInput {
        name: body.name,
        line1: body.line1,
        line2: body.line2,
        city: body.city,
        region: body.region,
        postal_code: body.postal_code,
        country: body.country,
        phone: body.phone,
    };
    let address = validate::address(&input, "")?;
    let user = &principal.user_id;
    let item = AddressItem::new(
        user,
        AddressId::generate(),
        address,
        ferrocart::time::now_unix(),
    );
    match ctx
        .store
        .add_address(&item, body.default.unwrap_or(false))
        .await?
    {
        AddAddress::Added | AddAddress::Exists => {}
        AddAddress::BookFull => {
            return Err(ApiError::conflict(
                "address_book_full",
                format!(
                    "an account keeps at most {MAX_ADDRESSES} addresses: delete one to save another"
                ),
            ));
        }
    }
    let is_default = ctx.store.default_address_id(user).await? == Some(item.address_id.clone());
    tracing::info!(address_id = %item.address_id, "address saved");
    let mut r = http::json_response(StatusCode::CREATED, &AddressView::of(&item, is_default));
    if let Ok(v) = format!("/me/addresses/{}", item.address_id).parse() {
        r.headers_mut().insert("location", v);
    }
    Ok(r)
}
