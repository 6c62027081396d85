//! `PATCH /me/addresses/{id}` (authenticated) `{name?, line1?, line2?, city?, region?,
//! postal_code?, country?, phone?, default?}` → 200 the address. Fields given replace the saved
//! ones (`null` clears `line2`, `region`, `postal_code` or `phone`), and the whole address is checked
//! again (a new country needs its region and postal code). `default: true` makes it the default
//! shipping address, `false` leaves the book with none if it was. Another customer's id is a 404.
//! Written conditioned on the version read (retried a few times on a concurrent change).

use ferrocart::auth::{TokenService, authenticate};
use ferrocart::ids::AddressId;
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
use ferrocart::store::addresses::{Changed, DefaultChange};
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
struct UpdateAddressRequest {
    #[serde(default, deserialize_with = "ferrocart::http::present")]
    name: Option<String>,
    #[serde(default, deserialize_with = "ferrocart::http::present")]
    line1: Option<String>,
    #[serde(default, deserialize_with = "ferrocart::http::nullable")]
    line2: Option<Option<String>>,
    #[serde(default, deserialize_with = "ferrocart::http::present")]
    city: Option<String>,
    #[serde(default, deserialize_with = "ferrocart::http::nullable")]
    region: Option<Option<String>>,
    #[serde(default, deserialize_with = "ferrocart::http::nullable")]
    postal_code: Option<Option<String>>,
    #[serde(default, deserialize_with = "ferrocart::http::present")]
    country: Option<String>,
    #[serde(default, deserialize_with = "ferrocart::http::nullable")]
    phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "ferrocart::http::present")]
    default: Option<bool>,
}

impl UpdateAddressRequest {
    fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.line1.is_none()
            && self.line2.is_none()
            && self.city.is_none()
            && self.region.is_none()
            && self.postal_code.is_none()
            && self.country.is_none()
            && self.phone.is_none()
            && self.default.is_none()
    }
}

const ATTEMPTS: usize = 3;

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let principal = authenticate(&ctx.tokens, &ctx.store, &req).await?;
    let id = http::path_id(&req, "id", AddressId::parse, "address")?;
    let body: UpdateAddressRequest = http::parse_json(&req, ctx.max_body_bytes)?;
    if body.is_empty() {
        return Err(ApiError::Validation {
            code: "empty_patch",
            message: "give at least one field of the address, or default".into(),
            field: None,
        });
    }
    let change = match body.default {
        None => DefaultChange::Keep,
        Some(true) => DefaultChange::Set,
        Some(false) => DefaultChange::Unset,
    };
    let user = &principal.user_id;
    for _ in 0..ATTEMPTS {
        let mut item = ctx
            .store
            .get_address(user, &id)
            .await?
            .ok_or(ApiError::NotFound("address"))?;
        let current_default = ctx.store.default_address_id(user).await?;
        let a = &item.address;
        let pick = |new: &Option<String>, old: &String| new.clone().unwrap_or_else(|| old.clone());
        let pick_opt = |new: &Option<Option<String>>, old: &Option<String>| match new {
            Some(v) => v.clone(),
            None => old.clone(),
        };
        let input = validate::AddressInput {
            name: pick(&body.name, &a.name),
            line1: pick(&body.line1, &a.line1),
            line2: pick_opt(&body.line2, &a.line2),
            city: pick(&body.city, &a.city),
            region: pick_opt(&body.region, &a.region),
            postal_code: pick_opt(&body.postal_code, &a.postal_code),
            country: pick(&body.country, &a.country),
            phone: pick_opt(&body.phone, &a.phone),
        };
        item.address = validate::address(&input, "")?;
        let expected = item.version;
        item.version += 1;
        item.updated_at = ferrocart::time::rfc3339(ferrocart::time::now_unix());
        match ctx
            .store
            .update_address(&item, expected, change, current_default.as_ref())
            .await?
        {
            Changed::Done => {
                let is_default = match change {
                    DefaultChange::Set => true,
                    DefaultChange::Unset => false,
                    DefaultChange::Keep => current_default.as_ref() == Some(&id),
                };
                tracing::info!(address_id = %id, "address updated");
                return Ok(http::json_response(
                    StatusCode::OK,
                    &AddressView::of(&item, is_default),
                ));
            }
            Changed::Gone => return Err(ApiError::NotFound("address")),
            Changed::Conflict => {}
        }
    }
    Err(ApiError::conflict(
        "concurrent_update",
        "the address book is being changed at the same time; try again",
    ))
}
