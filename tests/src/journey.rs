//! The shopper's whole journey through the local HTTP API, shared by the end-to-end test (which
//! checks every step) and the cost benchmark (which meters it): register, log in (or stay a
//! guest), browse, fill a cart with three products, check out, pay with a test card at the Stripe stand-in (whose signed
//! webhook reaches our endpoint), and wait until fulfilment has shipped the order and both emails
//! (confirmation, shipped) are in the local SES.

use crate::*;
use serde_json::{Value, json};

pub struct Journey {
    pub email: String,
    pub token: String,
    pub order_id: String,
    /// (product id, name, unit price, quantity) as put in the cart.
    pub lines: Vec<(String, String, i64, i64)>,
    /// The shipping option chosen from the cart's estimate for the Netherlands (express), as
    /// the estimate priced it: `{option_id, amount, tax_total, total, ...}`.
    pub shipping: Value,
    /// What `POST /checkout` answered.
    pub checkout: Value,
    /// `GET /orders/{id}` once shipped.
    pub order: Value,
    pub emails: Vec<SentEmail>,
}

/// Browse: the first page of the catalog; three products in stock, from different brands (so
/// they may live in different warehouses). `skip` moves on by that many trios.
pub async fn pick_products(skip: usize) -> Vec<Value> {
    let page = call("GET", "/products?limit=100", None, None).await;
    assert_eq!(page.status, 200, "{:?}", page.json);
    let items: Vec<&Value> = page.json["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|p| p["availability"] == "in_stock")
                .collect()
        })
        .unwrap_or_default();
    let mut picked: Vec<Value> = Vec::new();
    for p in items.iter().skip(skip * 3) {
        if picked.len() < 3 && !picked.iter().any(|q| q["brand"] == p["brand"]) {
            picked.push((*p).clone());
        }
    }
    assert_eq!(picked.len(), 3, "three products in stock on the first page");
    picked
}

/// Search: the product found by its name with a letter dropped from its longest word (a typo
/// search forgives), within the time a change takes to be searchable.
pub async fn find_by_a_misspelling(product: &Value) {
    let name = product["name"].as_str().unwrap_or_default();
    let longest = name
        .split_whitespace()
        .filter(|w| w.chars().all(char::is_alphabetic))
        .max_by_key(|w| w.chars().count())
        .unwrap_or_default();
    assert!(
        longest.chars().count() >= 5,
        "{name}: a word long enough to misspell"
    );
    let mut chars: Vec<char> = longest.chars().collect();
    chars.remove(chars.len() / 2);
    let typo: String = chars.into_iter().collect();
    let q = name.replacen(longest, &typo, 1).replace(' ', "+");
    let start = std::time::Instant::now();
    loop {
        let r = call("GET", &format!("/search?q={q}&limit=50"), None, None).await;
        assert_eq!(r.status, 200, "{:?}", r.json);
        let found = r.json["items"]
            .as_array()
            .is_some_and(|a| a.iter().any(|i| i["product_id"] == product["product_id"]));
        if found {
            return;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "{name} not found searching {q}: {:?}",
            r.json
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

/// Runs the journey; panics (failing the caller) at the first step that does not do its job.
/// `skip` picks a different trio of products per caller, so concurrent journeys do not compete.
pub async fn shop_one_order(tag: &str, skip: usize) -> Journey {
    shop(tag, skip, false).await
}

/// The journey of a guest: no account, a cart on its cart token, checkout with an email, the
/// order read with its order token (`token` is that order token).
pub async fn shop_one_guest_order(tag: &str, skip: usize) -> Journey {
    shop(tag, skip, true).await
}

/// What a request carries: the customer's access token, or the guest's cart (and order) token.
fn with(req: reqwest::RequestBuilder, guest: bool, token: &str) -> reqwest::RequestBuilder {
    match (guest, token.is_empty()) {
        (false, _) => req.bearer_auth(token),
        (true, true) => req,
        (true, false) => req.header("x-cart-token", token),
    }
}

async fn shop(tag: &str, skip: usize, guest: bool) -> Journey {
    let (email, mut token) = if guest {
        (unique_email(tag), String::new())
    } else {
        let (email, _, pair) = new_customer(tag).await;
        let token = pair["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        (email, token)
    };

    let picked = pick_products(skip).await;
    find_by_a_misspelling(&picked[0]).await;
    let lines: Vec<(String, String, i64, i64)> = picked
        .iter()
        .zip([1, 2, 1])
        .map(|(p, q)| {
            (
                p["product_id"].as_str().unwrap_or_default().to_string(),
                p["name"].as_str().unwrap_or_default().to_string(),
                p["price"].as_i64().unwrap_or_default(),
                q,
            )
        })
        .collect();
    for (id, _, _, q) in &lines {
        let detail = call("GET", &format!("/products/{id}"), None, None).await;
        assert_eq!(detail.status, 200, "{:?}", detail.json);
        let add = client()
            .post(format!("{}/cart/items", api_url()))
            .json(&json!({"product_id": id, "quantity": q}));
        let r = send(with(add, guest, &token)).await;
        assert_eq!(r.status, 200, "add to cart: {:?}", r.json);
        if let (true, Some(t)) = (guest, r.headers.get("x-cart-token")) {
            token = t.to_str().unwrap_or_default().to_string();
        }
    }
    // The demo discount code (10 % off everything).
    let apply = client()
        .post(format!("{}/cart/discount", api_url()))
        .json(&json!({"code": "welcome10"}));
    let r = send(with(apply, guest, &token)).await;
    assert_eq!(r.status, 200, "apply the demo code: {:?}", r.json);
    assert_eq!(r.json["discount"]["applies"], true, "{:?}", r.json);
    // The cart with what shipping to the Netherlands costs; the shopper picks express.
    let cart = send(with(
        client().get(format!("{}/cart?country=NL", api_url())),
        guest,
        &token,
    ))
    .await;
    assert_eq!(cart.status, 200, "{:?}", cart.json);
    let shipping = cart.json["shipping_estimate"]["options"]
        .as_array()
        .and_then(|o| o.iter().find(|o| o["option_id"] == "eu-express"))
        .cloned()
        .unwrap_or_else(|| panic!("express to NL in the estimate: {:?}", cart.json));

    let mut body = json!({"shipping_address": {"name": "Grace Hopper", "line1": "Keizersgracht 1",
        "city": "Amsterdam", "postal_code": "1015 CJ", "country": "NL"},
        "shipping_option_id": "eu-express"});
    if guest {
        body["email"] = json!(email);
    }
    let checkout = send(with(
        client()
            .post(format!("{}/checkout", api_url()))
            .header(
                "idempotency-key",
                format!("journey-{}", uuid::Uuid::new_v4()),
            )
            .json(&body),
        guest,
        &token,
    ))
    .await;
    assert_eq!(checkout.status, 201, "checkout: {:?}", checkout.json);
    let order_id = checkout.json["order_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let pi = checkout.json["payment"]["payment_intent_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();

    assert_eq!(pay_at_stripe_fake(&pi, "4242424242424242").await, 200);
    // Wait on the table itself (not through the API, which would add the polling to the metered
    // cost of the order) until it has shipped and both emails are recorded as sent.
    let id = ferrocart::ids::OrderId::parse(&order_id).expect("order id");
    let store = store().await;
    let start = std::time::Instant::now();
    loop {
        let d = store.get_order_details(&id).await.expect("DynamoDB Local");
        let done = d.as_ref().is_some_and(|d| {
            d.order.status == ferrocart::state::OrderStatus::Shipped
                && d.emails.iter().filter(|e| e.status == "sent").count() == 2
        });
        if done {
            break;
        }
        assert!(
            start.elapsed().as_secs() < 60,
            "order not shipped with both emails sent within 60 s: {:?}",
            d.map(|d| (d.order.status, d.emails))
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    // The customer looks at the order once (a guest with its order token).
    let get = client().get(format!("{}/orders/{order_id}", api_url()));
    let order = if guest {
        token = checkout.json["order_token"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        send(get.header("x-order-token", &token)).await
    } else {
        send(get.bearer_auth(&token)).await
    };
    assert_eq!(order.status, 200, "{:?}", order.json);
    let order = order.json;
    let emails = emails_to(&email, 2, 10).await;
    Journey {
        email,
        token,
        order_id,
        lines,
        shipping,
        checkout: checkout.json,
        order,
        emails,
    }
}
