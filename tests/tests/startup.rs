//! Every function's context is built from the environment the template gives it (as `sam local`
//! resolves it, `infra/sam-local-env.json`, secrets read from the local stack's Secrets Manager),
//! and every setting it needs is required at start-up: without any one of them the context is not
//! built and the error names that variable, so a missing setting stops the cold start instead of
//! failing a request.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use ferrocart::settings::{ConfigError, Settings};
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart_tests::repo_root;
use std::collections::BTreeMap;

type Env = BTreeMap<String, String>;

/// The context's result on `env`, as `Ok(())` or the error's message.
async fn build<C: FunctionContext>(env: &Env) -> Result<(), String> {
    let sdk = ferrocart::settings::sdk_config().await;
    let settings = Settings::resolve(env.clone(), &sdk)
        .await
        .map_err(|e| e.to_string())?;
    C::from_startup(&Startup::new(sdk, settings))
        .map(|_| ())
        .map_err(|e: ConfigError| e.to_string())
}

/// Builds the context on the function's whole environment, then without each variable in turn;
/// returns the variables the context cannot start without.
async fn required<C: FunctionContext>(function: &str, env: &Env) -> Vec<String> {
    build::<C>(env)
        .await
        .unwrap_or_else(|e| panic!("{function}: its template environment does not start it: {e}"));
    let mut needed = Vec::new();
    for name in env.keys() {
        let mut without = env.clone();
        without.remove(name);
        if let Err(message) = build::<C>(&without).await {
            // A secret's variable provides settings under other names; the error names one of them.
            let named = message.contains(name.as_str()) || name.ends_with("_SECRET_ARN");
            assert!(
                named,
                "{function} without {name}: {message:?} does not name it"
            );
            needed.push(name.clone());
        }
    }
    needed
}

macro_rules! contexts {
    ($envs:expr, $( $logical:literal => $ctx:ty ),* $(,)?) => {{
        let mut seen = BTreeMap::new();
        $(
            let env: Env = serde_json::from_value($envs[$logical].clone())
                .unwrap_or_else(|_| panic!("{} in infra/sam-local-env.json", $logical));
            seen.insert($logical, required::<$ctx>($logical, &env).await);
        )*
        seen
    }};
}

#[tokio::test]
async fn every_function_starts_on_its_template_environment_and_requires_what_it_needs() {
    let text = std::fs::read_to_string(repo_root().join("infra/sam-local-env.json")).unwrap();
    let envs: serde_json::Value = serde_json::from_str(&text).unwrap();
    let required = contexts!(envs,
        "RegisterFunction" => register::Context,
        "LoginFunction" => login::Context,
        "RefreshFunction" => refresh::Context,
        "LogoutFunction" => logout::Context,
        "MeFunction" => me::Context,
        "RequestPasswordResetFunction" => request_password_reset::Context,
        "ConfirmPasswordResetFunction" => confirm_password_reset::Context,
        "VerifyEmailFunction" => verify_email::Context,
        "RequestEmailVerificationFunction" => request_email_verification::Context,
        "ListAddressesFunction" => list_addresses::Context,
        "CreateAddressFunction" => create_address::Context,
        "UpdateAddressFunction" => update_address::Context,
        "DeleteAddressFunction" => delete_address::Context,
        "ListProductsFunction" => list_products::Context,
        "GetProductFunction" => get_product::Context,
        "ListCategoriesFunction" => list_categories::Context,
        "ListShippingOptionsFunction" => list_shipping_options::Context,
        "CreateProductFunction" => create_product::Context,
        "AdminGetProductFunction" => admin_get_product::Context,
        "ProductPageFunction" => product_page::Context,
        "CategoryPageFunction" => category_page::Context,
        "UpdateProductFunction" => update_product::Context,
        "SetStockFunction" => set_stock::Context,
        "CreateImageUploadFunction" => create_image_upload::Context,
        "AddToCartFunction" => add_to_cart::Context,
        "GetCartFunction" => get_cart::Context,
        "UpdateCartItemFunction" => update_cart_item::Context,
        "RemoveCartItemFunction" => remove_cart_item::Context,
        "ApplyDiscountFunction" => apply_discount::Context,
        "AdminListOrdersFunction" => admin_list_orders::Context,
        "AdminGetOrderFunction" => admin_get_order::Context,
        "CreateRefundFunction" => create_refund::Context,
        "CancelOrderFunction" => cancel_order::Context,
        "ResendEmailFunction" => resend_email::Context,
        "ListImagesFunction" => list_images::Context,
        "ListLowStockFunction" => list_low_stock::Context,
        "SearchFunction" => search::Context,
        "SearchSuggestFunction" => search_suggest::Context,
        "SearchIndexerFunction" => search_indexer::Context,
        "GetRecommendationsFunction" => get_recommendations::Context,
        "OrderArchiverFunction" => order_archiver::Context,
        "RecommendationsFunction" => recommendations::Context,
        "PutTaxSettingsFunction" => put_tax_settings::Context,
        "PutShippingFunction" => put_shipping::Context,
        "GetSellingSettingsFunction" => get_selling_settings::Context,
        "RemoveDiscountFunction" => remove_discount::Context,
        "PutDiscountFunction" => put_discount::Context,
        "ListDiscountsFunction" => list_discounts::Context,
        "CheckoutFunction" => checkout::Context,
        "PaymentWebhookFunction" => payment_webhook::Context,
        "ListOrdersFunction" => list_orders::Context,
        "GetOrderFunction" => get_order::Context,
        "OrderFulfilmentFunction" => order_fulfilment::FulfilmentContext,
        "EmailFunction" => email::EmailContext,
        "OrderExpiryFunction" => order_expiry::ExpiryContext,
        "ReconcilerFunction" => reconciler::ReconcilerContext,
        "ImageResizeFunction" => image_resize::ResizeContext,
        "RouteFallbackFunction" => route_fallback::Context,
    );
    let functions: Vec<&String> = envs
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| *k != "Parameters") // sam local's global overrides, not a function
        .collect();
    assert_eq!(
        functions.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
        required.keys().copied().collect::<Vec<_>>(),
        "every function in the template has its context checked here"
    );
    // What each function cannot start without (a few pinned: these are the settings whose
    // absence used to surface only inside a request).
    let has = |f: &str, v: &str| required[f].iter().any(|n| n == v);
    for f in functions {
        // The $default route answers from its compiled-in route table alone; search reads its
        // index from S3.
        let needs_table = !matches!(
            f.as_str(),
            "RouteFallbackFunction" | "SearchFunction" | "SearchSuggestFunction"
        );
        assert_eq!(has(f, "TABLE_NAME"), needs_table, "{f} and TABLE_NAME");
    }
    assert!(has("CheckoutFunction", "ORDER_EXPIRY_QUEUE_URL"));
    assert!(has("CheckoutFunction", "STRIPE_API_SECRET_ARN"));
    assert!(has("PaymentWebhookFunction", "FULFILMENT_QUEUE_URL"));
    assert!(has("PaymentWebhookFunction", "EMAIL_QUEUE_URL"));
    assert!(has("CreateImageUploadFunction", "UPLOAD_BUCKET"));
    for f in [
        "SearchFunction",
        "SearchSuggestFunction",
        "SearchIndexerFunction",
    ] {
        assert!(
            has(f, "SEARCH_BUCKET") && has(f, "SEARCH_INDEX_PREFIX"),
            "{f}"
        );
    }
    assert!(has("SearchIndexerFunction", "SEARCH_LANGUAGE"));
    assert!(has("SearchIndexerFunction", "SEARCH_DEAD_LETTER_QUEUE_URL"));
    for f in ["OrderArchiverFunction", "RecommendationsFunction"] {
        assert!(has(f, "LAKE_BUCKET") && has(f, "LAKE_ORDERS_PREFIX"), "{f}");
    }
    assert!(has("OrderArchiverFunction", "LAKE_DEAD_LETTER_QUEUE_URL"));
    assert!(has(
        "RecommendationsFunction",
        "RECOMMENDATIONS_WINDOW_DAYS"
    ));
    assert!(has("CreateImageUploadFunction", "JWT_SECRET_ARN"));
    assert!(!has("ListProductsFunction", "JWT_SECRET_ARN"));
    assert!(has("EmailFunction", "EMAIL_SENDER"));
}
