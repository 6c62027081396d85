//! `GET /c/{slug}` (the storefront's category page, served through its CDN) → 200 the
//! storefront's `index.html` with the category's title, meta description, canonical link and a
//! schema.org `CollectionPage` JSON-LD listing its first products, which the page also lists as
//! links: what a crawler that runs no JavaScript indexes and follows. An unknown category is the
//! same page, 404 and `noindex`.

use ferrocart::ApiError;
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
use ferrocart::store::catalog::ProductFilter;
use ferrocart::views::page;
use lambda_http::{Body, Request, RequestExt, Response};

/// Products the page lists (and its JSON-LD): the first page of the category's listing.
pub const LISTED: usize = 24;

/// Built once per cold start ([`FunctionContext`]): every setting this function needs.
pub struct Context {
    pub store: Store,
    pub storefront: page::Storefront,
}

impl FunctionContext for Context {
    fn from_startup(startup: &Startup) -> Result<Self, ConfigError> {
        Ok(Self {
            store: startup.store()?,
            storefront: page::Storefront::from_startup(startup)?,
        })
    }
}

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let slug = req
        .path_parameters()
        .first("slug")
        .unwrap_or_default()
        .to_string();
    let (categories, shell) = tokio::try_join!(
        async { Ok::<_, ApiError>(ctx.store.list_categories().await?) },
        ctx.storefront.shell(),
    )?;
    let head = match categories.into_iter().find(|c| c.slug == slug) {
        Some(c) => {
            let first = ctx
                .store
                .list_products(&ProductFilter::Category(c.slug.clone()), LISTED, None)
                .await?;
            page::category_head(
                &c.slug,
                &c.name,
                &first.items,
                &ctx.storefront.url,
                &ctx.storefront.shop_name,
            )
        }
        None => page::missing_head(
            &format!("/c/{slug}"),
            &ctx.storefront.url,
            &ctx.storefront.shop_name,
        ),
    };
    page::response(page::render(&shell, &head), head.missing)
}
