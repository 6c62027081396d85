//! `POST /checkout` (customer, `Idempotency-Key` header) `{shipping_address, save_address?}` or
//! `{address_id}`, and `shipping_option_id?` → 201
//! `{order_id, status, subtotal, shipping, tax_total, tax_included, total, currency, shipping_option,
//! payment: {provider, payment_intent_id, client_secret}}`.
//!
//! Shipping and tax are priced here (`cart_view::quote_order`, `ferrocart::selling`): the option
//! must be one the address's zone offers for this cart's currency and weight (else 422
//! `unknown_shipping_option`; left out, the cheapest), a country no zone ships to is 422
//! `no_shipping_to_country`, and tax is the destination's per line and on shipping. The
//! PaymentIntent charges the total: items, shipping and (when prices exclude it) tax.
//!
//! A guest checks out without an account: its `X-Cart-Token` names the cart, the body adds the
//! `email` its emails go to, the address is given inline, and the answer adds the `order_token`
//! that reads the order (`GET /orders/{id}` with `X-Order-Token`; the confirmation email links to
//! it). Its `Idempotency-Key`s are its cart token's (nobody else can replay its answer); its
//! unpaid orders count against the hold limits of its email. An account that later verifies that
//! email gets the order in its history (`Store::attach_guest_orders`).
//!
//! 0. The address is a saved one (`address_id`, from the caller's book; another's is 422
//!    `unknown_address`) or given inline, and then saved to the book if `save_address` (before
//!    anything is reserved, under an id derived from the Idempotency-Key, so a retry saves it once;
//!    a full book is 409 `address_book_full` and nothing is placed). The order keeps its own copy.
//! 1. Prices come from the table, never the client (nor do shipping or tax). One transaction reserves stock for every line
//!    (conditioned on enough stock, still active, still at the price charged), writes the order
//!    (`pending_payment`) and its lines, empties the cart and records the idempotency key.
//!    Short stock is a 409 naming the products; nothing is written.
//! 2. Then a Stripe PaymentIntent is created with an idempotency key derived from the order and
//!    recorded on the order once. If the provider is down the order stays `pending_payment` and the
//!    same request (same key) finishes the job.
//!
//! The same key and body replays the stored answer; the same key with another body is a 422; a
//! second request racing the first with one key gets a retryable 409.

use ferrocart::auth::{CartCaller, OrderLinks, TokenService, cart_caller};
use ferrocart::ids::{AddressId, OrderId, UserId};
use ferrocart::payments::stripe::PaymentError;
use ferrocart::payments::stripe::StripeClient;
use ferrocart::selling::discount::Refusal;
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::state::{IdempotencyStatus, OrderStatus};
use ferrocart::store::Store;
use ferrocart::store::addresses::{AddAddress, AddressItem, MAX_ADDRESSES};
use ferrocart::store::cart::CartOwner;
use ferrocart::store::discounts::{DiscountItem, OrderDiscount};
use ferrocart::store::holds::HoldLimits;
use ferrocart::store::idempotency::IdempotencyRecord;
use ferrocart::store::orders::{
    Address, Buyer, NewOrder, OrderItem, PaymentRef, PlaceOrder, ShippingChoice,
};
use ferrocart::store::payments::Attached;
use ferrocart::views::cart_view::{self, PricedCart};
use ferrocart::{ApiError, http, validate};
use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

/// Built once per cold start ([`FunctionContext`]): every setting this function needs.
pub struct Context {
    pub store: Store,
    pub tokens: TokenService,
    /// Signs guest orders' tokens (`order_token`).
    pub order_links: OrderLinks,
    pub max_body_bytes: usize,
    pub stripe: StripeClient,
    pub sqs: aws_sdk_sqs::Client,
    /// Queue of delayed "release this reservation" messages.
    pub order_expiry_queue_url: String,
    /// How long an unpaid order holds its stock.
    pub reservation_ttl_secs: u64,
    /// How much one customer may hold unpaid (`MAX_UNPAID_ORDERS`, `MAX_HELD_UNITS_PER_PRODUCT`).
    pub hold_limits: HoldLimits,
}

impl FunctionContext for Context {
    fn from_startup(startup: &Startup) -> Result<Self, ConfigError> {
        Ok(Self {
            store: startup.store()?,
            tokens: startup.tokens()?,
            order_links: startup.order_links()?,
            max_body_bytes: startup.max_body_bytes()?,
            stripe: startup.stripe()?,
            sqs: startup.sqs(),
            order_expiry_queue_url: startup.required("ORDER_EXPIRY_QUEUE_URL")?,
            reservation_ttl_secs: startup.number("RESERVATION_TTL_SECONDS", 900)?.max(60),
            hold_limits: HoldLimits {
                unpaid_orders: startup.number("MAX_UNPAID_ORDERS", 3)?.clamp(1, 100) as u32,
                units_per_product: startup
                    .number("MAX_HELD_UNITS_PER_PRODUCT", 20)?
                    .clamp(1, 10_000) as u32,
            },
        })
    }
}

/// Attempts of the checkout transaction while DynamoDB cancels it for a conflicting one (in a
/// flash sale every checkout of a product writes its one stock item): up to about 2.5 s of
/// jittered backoff in all, well inside the function's timeout.
const ATTEMPTS: u32 = 8;

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct CheckoutRequest {
    #[serde(default, deserialize_with = "ferrocart::http::present")]
    shipping_address: Option<validate::AddressInput>,
    #[serde(default, deserialize_with = "ferrocart::http::present")]
    address_id: Option<String>,
    #[serde(default, deserialize_with = "ferrocart::http::present")]
    save_address: Option<bool>,
    /// A guest's email (guests only).
    #[serde(default, deserialize_with = "ferrocart::http::present")]
    email: Option<String>,
    /// One of the options `GET /cart?country=` offers; the cheapest when left out.
    #[serde(default, deserialize_with = "ferrocart::http::present")]
    shipping_option_id: Option<String>,
}

/// Who checks out, from which cart, and whose `Idempotency-Key`s these are.
struct Caller {
    buyer: Buyer,
    cart: CartOwner,
    /// The scope of the request's `Idempotency-Key`: the customer, or the guest's cart token.
    keys_of: UserId,
}

/// Whose cart: the customer of the access token (checked first, as on every authenticated
/// route), else the guest of the `X-Cart-Token`; neither is a 401.
async fn cart_owner(ctx: &Context, req: &Request) -> Result<CartOwner, ApiError> {
    match cart_caller(&ctx.tokens, &ctx.store, req).await? {
        Some(CartCaller { owner, .. }) => Ok(owner),
        None => Err(ApiError::unauthorized(
            "missing_token",
            "sign in, or check out as a guest with your cart's X-Cart-Token and an email",
        )),
    }
}

/// The buyer: the customer, or the guest with the body's email.
fn caller(owner: CartOwner, body: &CheckoutRequest) -> Result<Caller, ApiError> {
    match owner {
        CartOwner::User(user) => {
            if body.email.is_some() {
                return Err(ApiError::unprocessable(
                    "email_not_allowed",
                    "email",
                    "a signed-in customer's order goes to the account's email; leave email out",
                ));
            }
            Ok(Caller {
                buyer: Buyer::Customer(user.clone()),
                cart: CartOwner::User(user.clone()),
                keys_of: user,
            })
        }
        CartOwner::Guest { token_hash } => {
            let Some(raw) = &body.email else {
                return Err(ApiError::unprocessable(
                    "email_required",
                    "email",
                    "a guest checkout needs the email its confirmation goes to (or sign in)",
                ));
            };
            let email = validate::normalise_email(raw)?;
            if body.address_id.is_some() || body.save_address.is_some() {
                return Err(ApiError::unprocessable(
                    "account_required",
                    if body.address_id.is_some() {
                        "address_id"
                    } else {
                        "save_address"
                    },
                    "saved addresses belong to an account: sign in, or give the shipping_address",
                ));
            }
            Ok(Caller {
                buyer: Buyer::Guest { email },
                keys_of: UserId::guest_cart(&token_hash),
                cart: CartOwner::Guest { token_hash },
            })
        }
    }
}

/// Where the order goes, as the request names it.
enum ShipTo {
    Inline { address: Address, save: bool },
    Saved(AddressId),
}

fn ship_to(body: &CheckoutRequest) -> Result<ShipTo, ApiError> {
    match (&body.shipping_address, &body.address_id) {
        (Some(a), None) => Ok(ShipTo::Inline {
            address: validate::address(a, "shipping_address")?,
            save: body.save_address.unwrap_or(false),
        }),
        (None, Some(id)) => {
            if body.save_address.is_some() {
                return Err(ApiError::validation(
                    "invalid_request",
                    "save_address",
                    "save_address goes with an inline shipping_address, not an address_id",
                ));
            }
            AddressId::parse(id).map(ShipTo::Saved).ok_or_else(|| {
                ApiError::validation(
                    "invalid_address_id",
                    "address_id",
                    "address_id must be the id of a saved address",
                )
            })
        }
        (None, None) => Err(ApiError::validation(
            "address_required",
            "shipping_address",
            "give a shipping_address or the address_id of a saved one",
        )),
        (Some(_), Some(_)) => Err(ApiError::validation(
            "invalid_request",
            "address_id",
            "give a shipping_address or an address_id, not both",
        )),
    }
}

/// The saved address's id for an inline address saved by checkout: derived from the customer and
/// the Idempotency-Key, so every retry of one checkout saves one address.
fn derived_address_id(user: &UserId, key: &str) -> AddressId {
    AddressId::derived(&format!("checkout-address|{user}|{key}"))
}

/// The address the order ships to, as named (a saved one read from the caller's book).
async fn address_of(ctx: &Context, user: &UserId, to: &ShipTo) -> Result<Address, ApiError> {
    match to {
        ShipTo::Saved(id) => ctx
            .store
            .get_address(user, id)
            .await?
            .map(|a| a.address)
            .ok_or_else(|| {
                ApiError::unprocessable(
                    "unknown_address",
                    "address_id",
                    "no saved address of yours has this id",
                )
            }),
        ShipTo::Inline { address, .. } => Ok(address.clone()),
    }
}

/// Saves an inline address to the book when asked (once the order is known to be payable, before
/// anything is reserved).
async fn save_if_asked(
    ctx: &Context,
    user: &UserId,
    key: &str,
    to: &ShipTo,
) -> Result<(), ApiError> {
    let ShipTo::Inline {
        address,
        save: true,
    } = to
    else {
        return Ok(());
    };
    let id = derived_address_id(user, key);
    let item = AddressItem::new(user, id, address.clone(), ferrocart::time::now_unix());
    match ctx.store.add_address(&item, false).await? {
        AddAddress::Added | AddAddress::Exists => Ok(()),
        AddAddress::BookFull => Err(ApiError::conflict(
            "address_book_full",
            format!(
                "your address book is full ({MAX_ADDRESSES} addresses): check out without save_address, or delete one"
            ),
        )),
    }
}

#[derive(Debug, Serialize)]
struct PaymentView {
    provider: String,
    payment_intent_id: String,
    client_secret: Option<String>,
}

#[derive(Debug, Serialize)]
struct CheckoutResponse {
    order_id: String,
    status: OrderStatus,
    subtotal: i64,
    /// What the cart's discount code took off (the order's `discount`).
    discount_total: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    discount: Option<OrderDiscount>,
    shipping: i64,
    shipping_option: Option<ShippingChoice>,
    tax_total: i64,
    tax_included: bool,
    total: i64,
    currency: String,
    payment: PaymentView,
    /// A guest order's token (`GET /orders/{id}` with `X-Order-Token`).
    #[serde(skip_serializing_if = "Option::is_none")]
    order_token: Option<String>,
}

fn replay(record: &IdempotencyRecord) -> Response<Body> {
    let mut r = Response::new(Body::Text(record.response_body.clone().unwrap_or_default()));
    *r.status_mut() =
        StatusCode::from_u16(record.response_status.unwrap_or(201)).unwrap_or(StatusCode::CREATED);
    let h = r.headers_mut();
    h.insert("content-type", HeaderValue::from_static("application/json"));
    h.insert("cache-control", HeaderValue::from_static("no-store"));
    h.insert("idempotent-replayed", HeaderValue::from_static("true"));
    r
}

fn in_progress() -> ApiError {
    ApiError::conflict(
        "request_in_progress",
        "a request with this Idempotency-Key is in progress; retry it shortly",
    )
}

fn key_reused() -> ApiError {
    ApiError::Unprocessable {
        code: "idempotency_key_reused",
        message: "this Idempotency-Key was used with a different request body".into(),
        field: None,
    }
}

/// A request whose key already has a record: the same body gets the stored answer (or the
/// unfinished payment step finished here), another body a 422.
async fn resume(
    ctx: &Context,
    keyed: &Keyed<'_>,
    record: &IdempotencyRecord,
) -> Result<Response<Body>, ApiError> {
    let Keyed {
        owner: user,
        key,
        request_hash,
    } = *keyed;
    if record.request_hash != request_hash {
        return Err(key_reused());
    }
    if record.status == IdempotencyStatus::Done {
        return Ok(replay(record));
    }
    // The order exists but its payment step has not finished. If the request that placed it
    // may still be working, say so; if it gave up (or died), finish the job here.
    if !ctx
        .store
        .lock_idempotency(user, key, ferrocart::time::now_unix())
        .await?
    {
        return match ctx.store.get_idempotency(user, key).await? {
            Some(r) if r.status == IdempotencyStatus::Done => Ok(replay(&r)),
            _ => Err(in_progress()),
        };
    }
    finish_payment(ctx, user, key, &record.order_id).await
}

/// Whose key (the customer, or a guest's cart), which key, with which body: what an idempotent
/// retry must match.
struct Keyed<'a> {
    owner: &'a UserId,
    key: &'a str,
    request_hash: &'a str,
}

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let owner = cart_owner(ctx, &req).await?;
    let key = http::idempotency_key(&req)?;
    let body: CheckoutRequest = http::parse_json(&req, ctx.max_body_bytes)?;
    let caller = caller(owner, &body)?;
    let to = ship_to(&body)?;
    if let Some(id) = &body.shipping_option_id
        && !(1..=40).contains(&id.len())
    {
        return Err(ApiError::validation(
            "invalid_shipping_option_id",
            "shipping_option_id",
            "shipping_option_id is 1-40 characters",
        ));
    }
    let request_hash =
        ferrocart::digest::sha256_hex(&serde_json::to_vec(&body).map_err(ApiError::internal)?);
    let keyed = Keyed {
        owner: &caller.keys_of,
        key: &key,
        request_hash: &request_hash,
    };
    let keys_of = &caller.keys_of;

    // Idempotent replay: a key seen before answers as it did (or finishes what it started).
    if let Some(record) = ctx.store.get_idempotency(keys_of, &key).await? {
        return resume(ctx, &keyed, &record).await;
    }
    let cart = ctx.store.cart_of(&caller.cart).await?;
    if cart.lines.is_empty() {
        // A concurrent request with this key may have placed the order (and emptied the cart)
        // between our two reads: answer as that request's twin, not with `cart_empty`.
        if let Some(record) = ctx.store.get_idempotency(keys_of, &key).await? {
            return resume(ctx, &keyed, &record).await;
        }
        return Err(ApiError::conflict("cart_empty", "the cart is empty"));
    }
    // Pricing, from the table as the cart view prices it.
    let products = cart_view::products(&ctx.store, &cart).await?;
    let priced_at = ferrocart::time::now_unix();
    let mut priced = cart_view::for_checkout(&cart, &products, priced_at)?;
    // The cart's discount code, applied as read (the transaction requires it unchanged).
    let discount = match &cart.discount_code {
        Some(code) => {
            let d = ctx
                .store
                .get_discount(code)
                .await?
                .ok_or_else(|| cart_view::unknown_discount(true))?;
            cart_view::apply_discount(&d, &mut priced.lines, &priced.currency, priced_at)
                .map_err(|r| cart_view::discount_refused(r, true))?;
            Some(d)
        }
        None => None,
    };

    let shipping = match &caller.buyer {
        Buyer::Customer(user) => address_of(ctx, user, &to).await?,
        // A guest's address is inline (`caller` refused the rest).
        Buyer::Guest { .. } => match &to {
            ShipTo::Inline { address, .. } => address.clone(),
            ShipTo::Saved(_) => return Err(ApiError::internal("a guest named a saved address")),
        },
    };
    // Shipping and tax, priced here from the shop's configuration.
    let (config, _, _) = ctx.store.selling_config().await?;
    let (quote, shipping_option) = cart_view::quote_order(
        &config,
        &mut priced.lines,
        &priced.currency,
        &shipping.country,
        body.shipping_option_id.as_deref(),
    )?;
    // A total the provider would refuse is refused here, before anything is reserved.
    ferrocart::payments::stripe::payable(quote.total, &priced.currency).map_err(|e| {
        ApiError::Unprocessable {
            code: "amount_not_payable",
            message: e,
            field: None,
        }
    })?;
    if let Buyer::Customer(user) = &caller.buyer {
        save_if_asked(ctx, user, &key, &to).await?;
    }

    let now = ferrocart::time::now_unix();
    let order_id = OrderId::generate();
    let order = OrderItem::new(NewOrder {
        order_id: order_id.clone(),
        buyer: caller.buyer.clone(),
        currency: priced.currency.clone(),
        discount: discount.as_ref().map(|d| OrderDiscount {
            code: d.code.clone(),
            amount: quote.discount,
            per_customer: d.rules.max_uses_per_customer.is_some(),
        }),
        quote,
        shipping_option,
        line_count: priced.lines.len() as u32,
        shipping_address: shipping,
        now,
        reservation_ttl_secs: ctx.reservation_ttl_secs,
        held: priced
            .lines
            .iter()
            .map(|l| (l.cart_line.product_id.clone(), l.cart_line.quantity))
            .collect(),
    });
    let record = IdempotencyRecord::in_progress(keys_of, &key, &request_hash, &order_id, now);
    let placing = (&record, &order, &caller.cart);
    if let Some(twin) = place(
        ctx,
        &keyed,
        placing,
        &priced,
        cart.version,
        discount.as_ref(),
    )
    .await?
    {
        return Ok(twin);
    }
    let guest = matches!(caller.buyer, Buyer::Guest { .. });
    tracing::info!(order_id = %order_id, total = order.total, currency = %priced.currency, guest, "order placed");
    ferrocart::metrics::count(
        ferrocart::metrics::Metric::OrdersPlaced,
        &[
            ("order_id", order_id.as_str()),
            ("currency", priced.currency.as_str()),
        ],
    );
    // Payment: the PaymentIntent, created once and recorded on the order.
    finish_payment(ctx, keys_of, &key, &order_id).await
}

/// The checkout transaction, retried when DynamoDB reports a conflicting one. `Ok(None)` once
/// placed; `Ok(Some(answer))` when another request with this key placed it first (its answer).
async fn place(
    ctx: &Context,
    keyed: &Keyed<'_>,
    (record, order, cart): (&IdempotencyRecord, &OrderItem, &CartOwner),
    priced: &PricedCart,
    cart_version: i64,
    discount: Option<&DiscountItem>,
) -> Result<Option<Response<Body>>, ApiError> {
    let user = keyed.owner;
    for attempt in 0..ATTEMPTS {
        match ctx
            .store
            .place_order(
                record,
                order,
                &priced.lines,
                (cart, cart_version),
                ctx.hold_limits,
                discount,
            )
            .await?
        {
            PlaceOrder::Placed => return Ok(None),
            PlaceOrder::Conflict => {
                if attempt + 1 < ATTEMPTS {
                    tokio::time::sleep(ferrocart::store::backoff(attempt)).await;
                }
            }
            PlaceOrder::KeyTaken => {
                return match ctx.store.get_idempotency(user, keyed.key).await? {
                    Some(r) => resume(ctx, keyed, &r).await.map(Some),
                    None => Err(in_progress()),
                };
            }
            PlaceOrder::Unavailable(ids) => {
                let names: Vec<String> = ids
                    .iter()
                    .map(
                        |id| match priced.lines.iter().find(|l| &l.cart_line.product_id == id) {
                            Some(l) => format!("{} ({id})", l.name),
                            None => id.to_string(),
                        },
                    )
                    .collect();
                tracing::info!(products = ?ids, "checkout refused: stock, status or price changed");
                ferrocart::metrics::count(ferrocart::metrics::Metric::StockOuts, &[]);
                return Err(ApiError::conflict(
                    "out_of_stock",
                    format!(
                        "not enough stock (or the price changed) for: {}",
                        names.join(", ")
                    ),
                ));
            }
            PlaceOrder::HoldLimit => {
                let l = ctx.hold_limits;
                return Err(ApiError::conflict(
                    "hold_limit",
                    format!(
                        "you hold as much unpaid as one customer may (at most {} unpaid orders and {} units of a product across them): pay for an order or let one expire",
                        l.unpaid_orders, l.units_per_product
                    ),
                ));
            }
            PlaceOrder::DiscountTaken => {
                // Its last use went to another order, or the admin changed it: say which.
                let code = discount.map(|d| d.code.as_str()).unwrap_or_default();
                let now = match ctx.store.get_discount(code).await? {
                    None => return Err(cart_view::unknown_discount(true)),
                    Some(d) => d,
                };
                let mut lines = priced.lines.clone();
                let refusal = cart_view::apply_discount(
                    &now,
                    &mut lines,
                    &priced.currency,
                    ferrocart::time::now_unix(),
                )
                .err();
                return Err(match refusal {
                    Some(r) => cart_view::discount_refused(r, true),
                    None => ApiError::conflict(
                        "discount_changed",
                        "the discount code's terms changed during checkout; review the cart and retry",
                    ),
                });
            }
            PlaceOrder::DiscountCustomerLimit => {
                return Err(cart_view::discount_refused(Refusal::CustomerLimit, true));
            }
            PlaceOrder::CartChanged => {
                return Err(ApiError::conflict(
                    "cart_changed",
                    "the cart changed during checkout; review it and retry",
                ));
            }
        }
    }
    // Nothing was written: the same request (same key) may be sent again.
    tracing::warn!(
        attempts = ATTEMPTS,
        "checkout still conflicting; answered 503"
    );
    Err(ApiError::Unavailable {
        code: "checkout_busy",
        message:
            "too many checkouts of these products at once; retry with the same Idempotency-Key"
                .into(),
    })
}

/// Sends the order's delayed expiry message if no request has yet (a claim on the order decides
/// who sends). If the send fails the claim and the key's lock are given back and the client is
/// told to retry with the same key, which sends it then.
async fn schedule_expiry_once(
    ctx: &Context,
    keys_of: &UserId,
    key: &str,
    order: &OrderItem,
) -> Result<(), ApiError> {
    let order_id = &order.order_id;
    if order.expiry_scheduled_at.is_some() || order.status != OrderStatus::PendingPayment {
        return Ok(());
    }
    let now = ferrocart::time::now_unix();
    if !ctx
        .store
        .claim_expiry_schedule(order_id, &ferrocart::time::rfc3339(now))
        .await?
    {
        return Ok(());
    }
    let msg = ferrocart::messages::OrderExpiry {
        order_id: order_id.clone(),
        expires_at: order.expires_at,
    };
    let queue = &ctx.order_expiry_queue_url;
    if let Err(e) = ferrocart::messages::schedule_expiry(&ctx.sqs, queue, &msg, now).await {
        ctx.store.release_expiry_claim(order_id).await?;
        ctx.store.unlock_idempotency(keys_of, key).await?;
        tracing::error!(order_id = %order_id, error = %e, "expiry could not be scheduled");
        return Err(ApiError::Unavailable {
            code: "try_again",
            message: "the order is reserved but could not be completed; retry with the same Idempotency-Key".into(),
        });
    }
    Ok(())
}

/// Creates (or finds) the order's PaymentIntent, records it on the order once, stores the answer
/// under the idempotency key, and answers 201.
async fn finish_payment(
    ctx: &Context,
    keys_of: &UserId,
    key: &str,
    order_id: &OrderId,
) -> Result<Response<Body>, ApiError> {
    let stripe = &ctx.stripe;
    let order = ctx
        .store
        .get_order(order_id)
        .await?
        .ok_or_else(|| ApiError::internal("idempotency record points at a missing order"))?;
    if matches!(order.status, OrderStatus::Cancelled | OrderStatus::Refunded) {
        // Cancelled (its reservation expired) or refunded before the payment step finished:
        // nothing may be paid for it. The key's final answer says so.
        return order_closed(ctx, keys_of, key, &order).await;
    }
    // Bound the reservation before anything else can fail: the expiry message, sent once.
    schedule_expiry_once(ctx, keys_of, key, &order).await?;
    let unavailable = |e: PaymentError| {
        tracing::error!(order_id = %order_id, error = %e, "payment provider call failed");
        if e.is_transient() {
            ApiError::Unavailable {
                code: "payment_provider_unavailable",
                message: "the order is reserved but the payment could not be started; retry with the same Idempotency-Key".into(),
            }
        } else {
            ApiError::internal(e)
        }
    };
    let intent = match &order.payment {
        Some(p) => stripe.retrieve_payment_intent(&p.payment_intent_id).await,
        None => {
            stripe
                .create_payment_intent(
                    order.total,
                    &order.currency,
                    order_id.as_str(),
                    order.user_id.as_str(),
                    &ferrocart::payments::keys::payment(order_id),
                )
                .await
        }
    };
    let intent = match intent {
        Ok(i) => i,
        Err(e) => {
            ctx.store.unlock_idempotency(keys_of, key).await?;
            return Err(unavailable(e));
        }
    };
    let recorded = match ctx
        .store
        .attach_payment(
            &order,
            &PaymentRef {
                provider: "stripe".into(),
                payment_intent_id: intent.id.clone(),
            },
        )
        .await?
    {
        Attached::Recorded(p) => p,
        Attached::OrderClosed(status) => {
            // Expiry cancelled the order while we created its PaymentIntent: make sure the
            // intent cannot be paid (if it was, the reconciler refunds it).
            let cancel_key = ferrocart::payments::keys::expiry_cancel(order_id);
            if let Err(e) = stripe.cancel_payment_intent(&intent.id, &cancel_key).await {
                tracing::warn!(order_id = %order_id, error = %e, "could not cancel the PaymentIntent of a closed order");
            }
            let closed = OrderItem { status, ..order };
            return order_closed(ctx, keys_of, key, &closed).await;
        }
    };
    // A concurrent retry recorded its intent first: answer with that one.
    let intent = if recorded.payment_intent_id == intent.id {
        intent
    } else {
        stripe
            .retrieve_payment_intent(&recorded.payment_intent_id)
            .await
            .map_err(unavailable)?
    };
    let response = CheckoutResponse {
        order_id: order_id.to_string(),
        status: order.status,
        subtotal: order.subtotal,
        discount_total: order.discount.as_ref().map_or(0, |d| d.amount),
        discount: order.discount.clone(),
        shipping: order.shipping,
        shipping_option: order.shipping_option.clone(),
        tax_total: order.tax_total,
        tax_included: order.tax_included,
        total: order.total,
        currency: order.currency.clone(),
        payment: PaymentView {
            provider: "stripe".into(),
            payment_intent_id: intent.id,
            client_secret: intent.client_secret,
        },
        order_token: order
            .guest_email
            .as_deref()
            .map(|email| ctx.order_links.token(order_id, email)),
    };
    let body = serde_json::to_string(&response).map_err(ApiError::internal)?;
    ctx.store
        .finish_idempotency(keys_of, key, 201, &body)
        .await?;
    Ok(http::json_response(StatusCode::CREATED, &response))
}

/// The final answer for a key whose order closed (cancelled or refunded) before its payment
/// step finished: a 409, stored so every retry with the key gets it too.
async fn order_closed(
    ctx: &Context,
    keys_of: &UserId,
    key: &str,
    order: &OrderItem,
) -> Result<Response<Body>, ApiError> {
    let err = ApiError::conflict(
        "order_closed",
        format!(
            "order {} is {} and can no longer be paid; check out again",
            order.order_id, order.status
        ),
    );
    let response = err.into_response();
    let body = String::from_utf8_lossy(response.body().as_ref()).into_owned();
    ctx.store
        .finish_idempotency(keys_of, key, 409, &body)
        .await?;
    Ok(response)
}
