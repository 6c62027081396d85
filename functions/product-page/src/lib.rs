//! `GET /p/{id}` (the storefront's product page, served through its CDN) → 200 the storefront's
//! `index.html` with the product's title, meta description, canonical link, Open Graph tags and
//! schema.org `Product` JSON-LD (price, currency, availability, images, brand) in its head and
//! its name, price and description in the page: what a crawler that runs no JavaScript indexes
//! and a link preview shows. A product that is not on sale (unknown, draft, archived) is the
//! same page, 404 and `noindex`; the app then says "Not found".

use ferrocart::ApiError;
use ferrocart::ids::ProductId;
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
use ferrocart::views::page;
use lambda_http::{Body, Request, RequestExt, Response};

/// Built once per cold start ([`FunctionContext`]): every setting this function needs.
pub struct Context {
    pub store: Store,
    pub storefront: page::Storefront,
    pub media_base_url: String,
}

impl FunctionContext for Context {
    fn from_startup(startup: &Startup) -> Result<Self, ConfigError> {
        Ok(Self {
            store: startup.store()?,
            storefront: page::Storefront::from_startup(startup)?,
            media_base_url: startup.media_base_url(),
        })
    }
}

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let raw = req
        .path_parameters()
        .first("id")
        .unwrap_or_default()
        .to_string();
    // A malformed id is a page the shop does not have, like an unknown one: no 400 for a link.
    let read = async {
        match ProductId::parse(&raw) {
            Some(id) => Ok(ctx.store.get_active_product(&id).await?),
            None => Ok::<_, ApiError>(None),
        }
    };
    let (product, shell) = tokio::try_join!(read, ctx.storefront.shell())?;
    let head = match product {
        Some(p) => {
            let brand = ctx
                .store
                .get_brand(&p.brand)
                .await?
                .map_or_else(|| p.brand.clone(), |b| b.name);
            page::product_head(
                &p,
                &brand,
                &ctx.storefront.url,
                &ctx.media_base_url,
                &ctx.storefront.shop_name,
            )
        }
        None => page::missing_head(
            &format!("/p/{raw}"),
            &ctx.storefront.url,
            &ctx.storefront.shop_name,
        ),
    };
    page::response(page::render(&shell, &head), head.missing)
}
