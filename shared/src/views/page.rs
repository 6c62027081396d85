//! The storefront's indexable pages (`/p/<id>`, `/c/<slug>`), as a crawler that runs no
//! JavaScript sees them: the storefront's own `index.html` (read from its bucket, so the page
//! always names the deployed build's scripts) with the head filled in for the one product or
//! category (title, meta description, canonical link, Open Graph, schema.org JSON-LD) and its
//! main content in the page, which the app then replaces as it starts.

use crate::ApiError;
use crate::money;
use crate::store::catalog::ProductItem;
use crate::views::product_view::availability;
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};
use serde_json::{Value, json};

/// How long browsers and the CDN keep a page: the catalog's own answers' lifetime.
pub const PAGE_CACHE_CONTROL: &str = crate::views::product_view::CACHE_CONTROL;

/// What both page functions need at start-up: where the storefront's `index.html` is
/// (`STOREFRONT_BUCKET`), the storefront's origin for canonical links (`STOREFRONT_URL`; unset, the
/// links are paths on whichever origin served the page) and the shop's name (`SHOP_NAME`).
pub struct Storefront {
    pub s3: aws_sdk_s3::Client,
    pub bucket: String,
    pub url: String,
    pub shop_name: String,
}

impl Storefront {
    pub fn from_startup(
        startup: &crate::startup::Startup,
    ) -> Result<Self, crate::settings::ConfigError> {
        let settings = startup.settings();
        Ok(Self {
            s3: startup.s3(),
            bucket: startup.required("STOREFRONT_BUCKET")?,
            url: settings
                .get("STOREFRONT_URL")
                .unwrap_or_default()
                .trim_end_matches('/')
                .to_string(),
            shop_name: settings
                .get("SHOP_NAME")
                .unwrap_or_else(|| "Ferrocart".into()),
        })
    }

    /// The storefront's `index.html`, as deployed.
    pub async fn shell(&self) -> Result<String, ApiError> {
        shell(&self.s3, &self.bucket).await
    }
}

/// What one page says about itself.
#[derive(Debug, Clone, PartialEq)]
pub struct PageHead {
    pub title: String,
    pub description: String,
    /// The page's own URL (absolute).
    pub canonical: String,
    pub image: Option<String>,
    /// schema.org JSON-LD (`Product`, `CollectionPage`); `None` for a page that is not there.
    pub json_ld: Option<Value>,
    /// Shown in `#root` until the app starts: what the page is about, as plain HTML.
    pub body: String,
    /// A page for something the shop does not have: 404, not indexed.
    pub missing: bool,
    /// Its Open Graph type (`product`, `website`).
    pub og_type: &'static str,
}

/// HTML-escapes text for an element's content or a quoted attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON for a `<script>` element: no `<` (so no `</script>` or `<!--`) can end it early.
fn script_json(v: &Value) -> String {
    v.to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// A description for a meta tag: one line, at most about 160 characters, cut at a word.
pub fn summary(text: &str, max: usize) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= max {
        return line;
    }
    let cut: String = line.chars().take(max).collect();
    match cut.rfind(' ') {
        Some(i) if i > max / 2 => format!("{}…", &cut[..i]),
        _ => format!("{cut}…"),
    }
}

/// An amount in minor units as schema.org wants a price: `24.99`, `1500` (JPY).
pub fn decimal_price(minor: i64, currency: &str) -> String {
    let exp = u32::from(money::exponent(currency).unwrap_or(2));
    if exp == 0 {
        return minor.to_string();
    }
    let scale = 10i64.pow(exp);
    format!(
        "{}.{:0width$}",
        minor / scale,
        minor % scale,
        width = exp as usize
    )
}

fn schema_availability(stock_available: i64) -> &'static str {
    match availability(stock_available) {
        "out_of_stock" => "https://schema.org/OutOfStock",
        "low_stock" => "https://schema.org/LimitedAvailability",
        _ => "https://schema.org/InStock",
    }
}

/// The largest JPEG variant of the product's first image (what link previews show).
fn preview_image(p: &ProductItem, media_base: &str) -> Option<String> {
    let img = p.images.values().next()?;
    img.variants
        .iter()
        .filter(|v| v.format == "jpeg")
        .max_by_key(|v| v.width)
        .or_else(|| img.variants.iter().max_by_key(|v| v.width))
        .map(|v| format!("{media_base}/{}", v.key))
}

/// A product's page. `brand` is the brand's name as the shop shows it.
pub fn product_head(
    p: &ProductItem,
    brand: &str,
    storefront: &str,
    media_base: &str,
    shop: &str,
) -> PageHead {
    let now = crate::time::now_unix();
    let canonical = format!("{storefront}/p/{}", p.product_id);
    let price = p.price_at(now);
    let description = if p.description.trim().is_empty() {
        format!("{} by {brand}, at {shop}.", p.name)
    } else {
        summary(&p.description, 160)
    };
    let image = preview_image(p, media_base);
    let images: Vec<String> = p
        .images
        .values()
        .filter_map(|img| {
            img.variants
                .iter()
                .filter(|v| v.format == "jpeg")
                .max_by_key(|v| v.width)
                .map(|v| format!("{media_base}/{}", v.key))
        })
        .collect();
    let mut offer = json!({
        "@type": "Offer",
        "url": canonical,
        "price": decimal_price(price, &p.currency),
        "priceCurrency": p.currency,
        "availability": schema_availability(p.stock_available),
        "itemCondition": "https://schema.org/NewCondition",
    });
    if let Some(ends) = p.sale_ends_at.filter(|_| p.pricing().on_sale_at(now)) {
        offer["priceValidUntil"] = json!(crate::time::rfc3339(ends));
    }
    let mut ld = json!({
        "@context": "https://schema.org",
        "@type": "Product",
        "productID": p.product_id.to_string(),
        "sku": p.product_id.to_string(),
        "name": p.name,
        "description": summary(&p.description, 5000),
        "brand": { "@type": "Brand", "name": brand },
        "category": p.category,
        "url": canonical,
        "offers": offer,
    });
    if !images.is_empty() {
        ld["image"] = json!(images);
    }
    let body = format!(
        "<article><h1>{}</h1><p>{}</p><p>{}</p></article>",
        escape(&p.name),
        escape(&money::format(price, &p.currency)),
        escape(&summary(&p.description, 400)),
    );
    PageHead {
        title: format!("{} · {shop}", p.name),
        description,
        canonical,
        image,
        json_ld: Some(ld),
        body,
        missing: false,
        og_type: "product",
    }
}

/// A category's page, listing its first products.
pub fn category_head(
    slug: &str,
    name: &str,
    products: &[ProductItem],
    storefront: &str,
    shop: &str,
) -> PageHead {
    let canonical = format!("{storefront}/c/{slug}");
    let now = crate::time::now_unix();
    let items: Vec<Value> = products
        .iter()
        .enumerate()
        .map(|(i, p)| {
            json!({
                "@type": "ListItem",
                "position": i + 1,
                "url": format!("{storefront}/p/{}", p.product_id),
                "name": p.name,
            })
        })
        .collect();
    let ld = json!({
        "@context": "https://schema.org",
        "@type": "CollectionPage",
        "name": name,
        "url": canonical,
        "mainEntity": { "@type": "ItemList", "itemListElement": items },
    });
    let list: String = products
        .iter()
        .map(|p| {
            format!(
                "<li><a href=\"/p/{}\">{}</a> {}</li>",
                p.product_id,
                escape(&p.name),
                escape(&money::format(p.price_at(now), &p.currency))
            )
        })
        .collect();
    PageHead {
        title: format!("{name} · {shop}"),
        description: format!(
            "{name} at {shop}: browse the range, filter by brand and price, and order online."
        ),
        canonical,
        image: None,
        json_ld: Some(ld),
        // The list for crawlers without JavaScript only: the app's grid takes its place, and a
        // list shown first and then replaced would shift the page.
        body: format!(
            "<h1>{}</h1><noscript><ul>{list}</ul></noscript>",
            escape(name)
        ),
        missing: false,
        og_type: "website",
    }
}

/// The page for a product or category the shop does not have (the app says "Not found").
pub fn missing_head(path: &str, storefront: &str, shop: &str) -> PageHead {
    PageHead {
        title: format!("Not found · {shop}"),
        description: format!("{shop} has no such page."),
        canonical: format!("{storefront}{path}"),
        image: None,
        json_ld: None,
        body: String::new(),
        missing: true,
        og_type: "website",
    }
}

/// Removes the first `<tag ...>...</tag>` or `<tag ...>` whose opening starts with `open`.
fn remove_element(html: &mut String, open: &str, close: Option<&str>) {
    let Some(start) = html.find(open) else { return };
    let end = match close {
        Some(close) => html[start..].find(close).map(|i| start + i + close.len()),
        None => html[start..].find('>').map(|i| start + i + 1),
    };
    if let Some(end) = end {
        // With the line it stood on, when it stood alone.
        let line_start = html[..start].rfind('\n').map_or(start, |i| i + 1);
        let alone = html[line_start..start].trim().is_empty() && html[end..].starts_with('\n');
        if alone {
            html.replace_range(line_start..=end, "");
        } else {
            html.replace_range(start..end, "");
        }
    }
}

/// The storefront's `index.html` with the page's head and content. The shell's own title and
/// description give way to the page's; everything else in it (its scripts, styles) stays.
pub fn render(shell: &str, head: &PageHead) -> String {
    let mut html = shell.to_string();
    remove_element(&mut html, "<title", Some("</title>"));
    remove_element(&mut html, "<meta name=\"description\"", None);
    let mut tags = format!(
        "<title>{}</title>\n<meta name=\"description\" content=\"{}\" />\n<link rel=\"canonical\" href=\"{}\" />\n",
        escape(&head.title),
        escape(&head.description),
        escape(&head.canonical),
    );
    if head.missing {
        tags.push_str("<meta name=\"robots\" content=\"noindex\" />\n");
    } else {
        tags.push_str(&format!(
            "<meta property=\"og:type\" content=\"{}\" />\n<meta property=\"og:title\" content=\"{}\" />\n<meta property=\"og:description\" content=\"{}\" />\n<meta property=\"og:url\" content=\"{}\" />\n",
            head.og_type,
            escape(&head.title),
            escape(&head.description),
            escape(&head.canonical),
        ));
        if let Some(image) = &head.image {
            tags.push_str(&format!(
                "<meta property=\"og:image\" content=\"{}\" />\n",
                escape(image)
            ));
        }
    }
    if let Some(ld) = &head.json_ld {
        tags.push_str(&format!(
            "<script type=\"application/ld+json\">{}</script>\n",
            script_json(ld)
        ));
    }
    match html.find("</head>") {
        Some(i) => html.insert_str(i, &tags),
        None => html.insert_str(0, &tags),
    }
    if let Some(i) = html.find("<div id=\"root\"></div>") {
        let at = i + "<div id=\"root\">".len();
        html.insert_str(at, &head.body);
    }
    html
}

/// The page as the HTTP answer: 200 (404 for a missing one), HTML, cacheable like the catalog.
pub fn response(html: String, missing: bool) -> Result<Response<Body>, ApiError> {
    let mut resp = Response::new(Body::from(html));
    *resp.status_mut() = if missing {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    };
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if missing {
            "public, max-age=60"
        } else {
            PAGE_CACHE_CONTROL
        }),
    );
    Ok(resp)
}

/// The storefront's `index.html`, as deployed (its bucket), read on each page the CDN did not
/// have: a new deploy's pages name its scripts at once.
pub async fn shell(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<String, ApiError> {
    let obj = s3
        .get_object()
        .bucket(bucket)
        .key("index.html")
        .send()
        .await
        .map_err(|e| {
            if e.as_service_error().is_some_and(|s| s.is_no_such_key()) {
                ApiError::Unavailable {
                    code: "storefront_not_published",
                    message: "the storefront's index.html is not in its bucket yet (aws s3 sync web/dist)".into(),
                }
            } else {
                ApiError::Internal(format!("reading the storefront's index.html: {e}").into())
            }
        })?;
    let bytes = obj
        .body
        .collect()
        .await
        .map_err(|e| {
            ApiError::Internal(format!("reading the storefront's index.html: {e}").into())
        })?
        .into_bytes();
    String::from_utf8(bytes.to_vec())
        .map_err(|_| ApiError::Internal("the storefront's index.html is not UTF-8".into()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const SHELL: &str = "<!doctype html>\n<html lang=\"en\">\n  <head>\n    <meta charset=\"utf-8\" />\n    <meta name=\"description\" content=\"Ferrocart: a demo shop.\" />\n    <title>Ferrocart</title>\n    <script type=\"module\" src=\"/assets/index-abc.js\"></script>\n  </head>\n  <body>\n    <div id=\"root\"></div>\n  </body>\n</html>";

    fn head() -> PageHead {
        PageHead {
            title: "Kettle <b>\"x\"</b> · Ferrocart".into(),
            description: "Boils & pours".into(),
            canonical: "https://shop.example/p/1".into(),
            image: Some("https://media.example/a.jpg".into()),
            json_ld: Some(
                json!({"@type": "Product", "name": "</script><script>alert(1)</script>"}),
            ),
            body: "<h1>Kettle</h1>".into(),
            missing: false,
            og_type: "product",
        }
    }

    #[test]
    fn the_page_replaces_the_shells_title_and_description_and_keeps_its_scripts() {
        let html = render(SHELL, &head());
        assert_eq!(html.matches("<title>").count(), 1);
        assert!(
            html.contains("<title>Kettle &lt;b&gt;&quot;x&quot;&lt;/b&gt; · Ferrocart</title>")
        );
        assert_eq!(html.matches("name=\"description\"").count(), 1);
        assert!(html.contains("<meta name=\"description\" content=\"Boils &amp; pours\" />"));
        assert!(html.contains("<link rel=\"canonical\" href=\"https://shop.example/p/1\" />"));
        assert!(html.contains("og:image\" content=\"https://media.example/a.jpg\""));
        assert!(html.contains("src=\"/assets/index-abc.js\""));
        assert!(html.contains("<div id=\"root\"><h1>Kettle</h1></div>"));
        assert!(!html.contains("noindex"));
        assert!(html.contains("og:type\" content=\"product\""));
        assert!(!html.contains("\n    \n"), "{html}");
    }

    #[test]
    fn json_ld_cannot_close_its_script_element() {
        let html = render(SHELL, &head());
        let start = html.find("application/ld+json\">").unwrap();
        let rest = &html[start..];
        let end = rest.find("</script>").unwrap();
        let json: Value = serde_json::from_str(&rest["application/ld+json\">".len()..end]).unwrap();
        assert_eq!(json["name"], "</script><script>alert(1)</script>");
    }

    #[test]
    fn a_missing_page_is_not_indexed_and_has_no_json_ld() {
        let html = render(
            SHELL,
            &missing_head("/p/x", "https://shop.example", "Ferrocart"),
        );
        assert!(html.contains("<meta name=\"robots\" content=\"noindex\" />"));
        assert!(!html.contains("ld+json"));
        assert!(!html.contains("og:title"));
    }

    #[test]
    fn prices_are_decimal_in_the_currencys_own_minor_unit() {
        assert_eq!(decimal_price(2499, "GBP"), "24.99");
        assert_eq!(decimal_price(5, "EUR"), "0.05");
        assert_eq!(decimal_price(1500, "JPY"), "1500");
    }

    #[test]
    fn descriptions_are_one_line_cut_at_a_word() {
        assert_eq!(summary("  a\n b  ", 160), "a b");
        let long = "word ".repeat(60);
        let s = summary(&long, 160);
        assert!(s.ends_with('…'));
        assert!(s.chars().count() <= 161);
        assert!(!s.contains("wor…"));
    }
}
