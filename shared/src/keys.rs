//! Every single-table key string, built here and nowhere else (see docs/data-model.md).
//! The unit tests pin the exact strings: changing one is a data migration, not a refactor.

use crate::ids::{AddressId, ImageId, OrderId, ProductId, SessionId, UserId};
use serde::{Deserialize, Serialize};

/// Attribute names of the table's keys and indexes.
pub const PK: &str = "pk";
pub const SK: &str = "sk";
pub const GSI1: &str = "gsi1";
pub const GSI1_PK: &str = "gsi1pk";
pub const GSI1_SK: &str = "gsi1sk";
pub const GSI2: &str = "gsi2";
pub const GSI3: &str = "gsi3";
pub const TTL: &str = "ttl";
/// The sparse index of orders that need a look if nothing moves them by a time (the reconciler's).
pub const DUE: &str = "due";
pub const DUE_PK: &str = "duepk";
pub const DUE_AT: &str = "dueat";
/// The due index's partition key is spread over this many shards (`DUE#0`..`DUE#7`) so no one
/// partition takes every order's writes in a sale.
pub const DUE_SHARDS: u32 = 8;

/// A primary key (partition + sort).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    fn new(pk: String, sk: impl Into<String>) -> Self {
        Self { pk, sk: sk.into() }
    }
}

/// A user's profile item: `USER#<id>` / `PROFILE`.
pub fn user(id: &UserId) -> Key {
    Key::new(format!("USER#{id}"), "PROFILE")
}

/// What a customer holds unpaid (orders, units per product): `HOLDS#<user id>` / `HOLDS` (its
/// own partition, so the functions that write it are granted nothing of the profile's).
pub fn user_holds(id: &UserId) -> Key {
    Key::new(format!("HOLDS#{id}"), "HOLDS")
}

/// The partition of a customer's address book (`Query pk = ADDRESSES#<user>`: the book's
/// count and default, then every address). A partition of its own, so the functions that keep it
/// are granted nothing of the profile's.
pub fn address_partition(user: &UserId) -> String {
    format!("ADDRESSES#{user}")
}

/// The address book's head (how many addresses, which is the default): `ADDRESSES#<user>` / `BOOK`.
pub fn address_book(user: &UserId) -> Key {
    Key::new(address_partition(user), "BOOK")
}

/// One saved address: `ADDRESSES#<user>` / `ADDRESS#<address id>`.
pub fn address(user: &UserId, id: &AddressId) -> Key {
    Key::new(address_partition(user), format!("ADDRESS#{id}"))
}

/// The sort-key prefix of a book's addresses.
pub const ADDRESS_SK_PREFIX: &str = "ADDRESS#";

/// The uniqueness guard and lookup for a normalised email: `EMAIL#<email>` / `EMAIL`.
pub fn user_email(normalised_email: &str) -> Key {
    Key::new(format!("EMAIL#{normalised_email}"), "EMAIL")
}

/// A login session: `SESSION#<id>` / `SESSION`.
pub fn session(id: &SessionId) -> Key {
    Key::new(format!("SESSION#{id}"), "SESSION")
}

/// A spent (rotated-away) refresh token of a session, kept to detect reuse:
/// `SESSION#<id>` / `SPENT#<sha256 hex>`.
pub fn spent_refresh_token(id: &SessionId, token_hash: &str) -> Key {
    Key::new(format!("SESSION#{id}"), format!("SPENT#{token_hash}"))
}

/// GSI1 keys listing a user's sessions, newest last: `USER#<id>` / `SESSION#<created>#<session>`.
pub fn user_sessions_gsi1(user: &UserId, created_at: u64, session: &SessionId) -> Key {
    Key::new(
        format!("USER#{user}"),
        format!("SESSION#{created_at:012}#{session}"),
    )
}

/// Failed-login counter for one account and one fixed window:
/// `LOGINFAIL#<email>` / `WINDOW#<window start, unix seconds>`.
/// A login guard's state (failures since the last success, locked until): `LOGINGUARD#<subject>`
/// / `STATE`, the subject an account (`<email>`) or an account from one client (`<email>|<ip>`).
pub fn login_guard(subject: &str) -> Key {
    Key::new(format!("LOGINGUARD#{subject}"), "STATE")
}

/// A fixed-window login attempt counter for `subject` (an account, or `client:<ip>`).
pub fn login_failures(normalised_email: &str, window_start: u64) -> Key {
    Key::new(
        format!("LOGINFAIL#{normalised_email}"),
        format!("WINDOW#{window_start:012}"),
    )
}

/// A product: `PRODUCT#<id>` / `PRODUCT`.
pub fn product(id: &ProductId) -> Key {
    Key::new(format!("PRODUCT#{id}"), "PRODUCT")
}

/// The partition holding a product with its stock and images (`Query pk = PRODUCT#<id>`).
pub fn product_partition(id: &ProductId) -> String {
    format!("PRODUCT#{id}")
}

/// The product whose partition `pk` is (`PRODUCT#<id>`), or `None`.
pub fn product_of_partition(pk: &str) -> Option<ProductId> {
    pk.strip_prefix("PRODUCT#").and_then(ProductId::parse)
}

/// A product's stock in one warehouse: `PRODUCT#<id>` / `STOCK#<warehouse>`.
pub fn product_stock(id: &ProductId, warehouse: &str) -> Key {
    Key::new(format!("PRODUCT#{id}"), format!("STOCK#{warehouse}"))
}

/// One uploaded image of a product: `PRODUCT#<id>` / `IMAGE#<image id>`.
pub fn product_image(id: &ProductId, image: &ImageId) -> Key {
    Key::new(format!("PRODUCT#{id}"), format!("IMAGE#{image}"))
}

/// GSI1 keys listing processed images by status (`ready`, `rejected`), by when they were
/// processed: `CATALOG#IMAGES#<status>` / `<processed at>#<product id>#<image id>`.
pub fn images_gsi1(status: &str, processed_at: &str, product: &ProductId, image: &ImageId) -> Key {
    Key::new(
        images_gsi1_partition(status),
        format!("{processed_at}#{product}#{image}"),
    )
}

/// GSI1's partition of the images in one status ([`images_gsi1`]).
pub fn images_gsi1_partition(status: &str) -> String {
    format!("CATALOG#IMAGES#{status}")
}

/// The sort key that orders products in every listing: name (case-folded, at most 64 characters;
/// `#` is replaced so it cannot collide with the separator), then id for ties.
pub fn product_sort(name: &str, id: &ProductId) -> String {
    let folded: String = name
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c == '#' { ' ' } else { c })
        .take(64)
        .collect();
    format!("PRODUCT#{folded}#{id}")
}

/// GSI1 partition of a category's active products.
pub fn category_products_gsi1(category: &str) -> String {
    format!("CATEGORY#{category}")
}

/// GSI2 partition of a brand's active products.
pub fn brand_products_gsi2(brand: &str) -> String {
    format!("BRAND#{brand}")
}

/// GSI2 sort key: category first, so "brand X in category Y" is one `begins_with` query.
pub fn brand_products_gsi2_sk(category: &str, product_sort: &str) -> String {
    format!("CATEGORY#{category}#{product_sort}")
}

/// The `begins_with` prefix selecting one category inside a brand's GSI2 partition.
pub fn brand_products_gsi2_category_prefix(category: &str) -> String {
    format!("CATEGORY#{category}#")
}

/// GSI3 partition of every active product.
pub const ACTIVE_PRODUCTS_GSI3: &str = "CATALOG#ACTIVE";

/// A user's cart (every line, currency, version): `CART#<user>` / `CART`.
pub fn cart(user: &UserId) -> Key {
    Key::new(format!("CART#{user}"), "CART")
}

/// A guest's cart, by the SHA-256 of its cart token: `GUESTCART#<sha256 hex>` / `CART`.
pub fn guest_cart(token_hash: &str) -> Key {
    Key::new(format!("GUESTCART#{token_hash}"), "CART")
}

/// The order whose partition `pk` is (`ORDER#<id>`), or `None`.
pub fn order_of_partition(pk: &str) -> Option<OrderId> {
    pk.strip_prefix("ORDER#").and_then(OrderId::parse)
}

/// An order: `ORDER#<id>` / `ORDER`.
pub fn order(id: &OrderId) -> Key {
    Key::new(format!("ORDER#{id}"), "ORDER")
}

/// The due-index partition of an order: `DUE#<n>`, n from a hash of the order id.
pub fn due_partition(id: &OrderId) -> String {
    due_shard(order_hash(id) % DUE_SHARDS)
}

/// A stable hash of an order id, to spread orders over shards.
fn order_hash(id: &OrderId) -> u32 {
    id.as_str()
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)))
}

/// The admin's orders by day are spread over this many shards a day (`ORDERS#<day>#0`..`#7`), so
/// a sale's orders do not all write one index partition.
pub const ORDER_DAY_SHARDS: u32 = 8;

/// The keys-only index of every order by day (the admin's listing), and its key attributes.
pub const ORDERS_INDEX: &str = "orders";
pub const ORDERS_PK: &str = "orderspk";
pub const ORDERS_AT: &str = "ordersat";

/// The `orders` index keys of an order: `ORDERS#<yyyy-mm-dd>#<shard>` / `<created, 12
/// digits>#<order>`.
pub fn orders_by_day(created_at: u64, order: &OrderId) -> Key {
    let day = &crate::time::rfc3339(created_at)[..10];
    Key::new(
        orders_day_partition(day, order_hash(order) % ORDER_DAY_SHARDS),
        format!("{created_at:012}#{order}"),
    )
}

/// One shard of one day's orders (`yyyy-mm-dd`).
pub fn orders_day_partition(day: &str, shard: u32) -> String {
    format!("ORDERS#{day}#{shard}")
}

/// The keys-only index of stock rows by warehouse, sorted by the units on hand (`quantity`, a
/// number, so fulfilment's `ADD quantity -q` keeps it current): the low-stock report.
pub const STOCK_INDEX: &str = "stock";
pub const STOCK_WH: &str = "stockwh";

/// A warehouse's partition on the `stock` index: `STOCK#<warehouse>`.
pub fn stock_by_warehouse(warehouse: &str) -> String {
    format!("STOCK#{warehouse}")
}

/// The due-index partition number `n`.
pub fn due_shard(n: u32) -> String {
    format!("DUE#{n}")
}

/// One line of an order: `ORDER#<id>` / `LINE#<product>`.
pub fn order_line(id: &OrderId, product: &ProductId) -> Key {
    Key::new(
        format!("ORDER#{id}"),
        format!("{ORDER_LINE_PREFIX}{product}"),
    )
}

/// The sort-key prefix of an order's lines ([`order_line`]).
pub const ORDER_LINE_PREFIX: &str = "LINE#";

/// A payment, findable from the provider's reference alone (webhook events about refunds carry
/// only that): `PAYMENT#<provider>#<reference>` / `PAYMENT`.
pub fn payment(provider: &str, reference: &str) -> Key {
    Key::new(format!("PAYMENT#{provider}#{reference}"), "PAYMENT")
}

/// One entry of an order's status history: `ORDER#<id>` / `STATUS#<unix ms, 15 digits>#<status>`.
pub fn order_status(id: &OrderId, at_ms: u64, status: &str) -> Key {
    Key::new(
        format!("ORDER#{id}"),
        format!("STATUS#{at_ms:015}#{status}"),
    )
}

/// One payment-provider event or call on an order: `ORDER#<id>` / `PAYLOG#<unix ms, 15 digits>#<ref>`.
pub fn order_payment_log(id: &OrderId, at_ms: u64, reference: &str) -> Key {
    Key::new(
        format!("ORDER#{id}"),
        format!("PAYLOG#{at_ms:015}#{reference}"),
    )
}

/// A shipment of an order from one warehouse: `ORDER#<id>` / `SHIPMENT#<warehouse>`.
pub fn order_shipment(id: &OrderId, warehouse: &str) -> Key {
    Key::new(format!("ORDER#{id}"), format!("SHIPMENT#{warehouse}"))
}

/// The record of one customer email about an order, one per kind: `ORDER#<id>` / `EMAIL#<kind>`.
pub fn order_email(id: &OrderId, kind: &str) -> Key {
    Key::new(format!("ORDER#{id}"), format!("EMAIL#{kind}"))
}

/// The record of an admin's resend of an order's email (`resend`: from its Idempotency-Key):
/// `ORDER#<id>` / `EMAIL#<kind>#RESEND#<resend>`.
pub fn order_email_resend(id: &OrderId, kind: &str, resend: &str) -> Key {
    Key::new(
        format!("ORDER#{id}"),
        format!("EMAIL#{kind}#RESEND#{resend}"),
    )
}

/// The record of the refund email for one `charge.refunded` event (`event`: its Stripe id):
/// `ORDER#<id>` / `EMAIL#refund#EVENT#<event>`.
pub fn order_refund_email(id: &OrderId, event: &str) -> Key {
    Key::new(format!("ORDER#{id}"), format!("EMAIL#refund#EVENT#{event}"))
}

/// The provider event a payment-log entry (`order_payment_log`'s sort key) records.
pub fn payment_log_event(sk: &str) -> Option<&str> {
    sk.strip_prefix("PAYLOG#")?.split_once('#').map(|(_, e)| e)
}

/// An admin's refund request of an order, by the SHA-256 of its `Idempotency-Key` (32 hex):
/// `ORDER#<id>` / `REFUND#<key hash>`.
pub fn order_refund(id: &OrderId, key_hash: &str) -> Key {
    Key::new(format!("ORDER#{id}"), format!("REFUND#{key_hash}"))
}

/// The record of the one account email a request asked for: `MAILREQ#<request id>` / `EMAIL#<kind>`.
pub fn account_email(request_id: &str, kind: &str) -> Key {
    Key::new(format!("MAILREQ#{request_id}"), format!("EMAIL#{kind}"))
}

/// A single-use account token (password reset, email verification), by the SHA-256 of the token:
/// `TOKEN#<sha256 hex>` / `TOKEN`. The token itself is stored nowhere.
pub fn account_token(token_hash: &str) -> Key {
    Key::new(format!("TOKEN#{token_hash}"), "TOKEN")
}

/// A provider webhook event, recorded once: `WEBHOOK#<provider>#<event id>` / `EVENT`.
pub fn webhook_event(provider: &str, event_id: &str) -> Key {
    Key::new(format!("WEBHOOK#{provider}#{event_id}"), "EVENT")
}

/// GSI1 keys listing a user's orders, oldest first (query backwards for newest first):
/// `USER#<id>` / `ORDER#<created, 12 digits>#<order>`.
pub fn user_orders_gsi1(user: &UserId, created_at: u64, order: &OrderId) -> Key {
    Key::new(
        user_orders_partition(user),
        format!("ORDER#{created_at:012}#{order}"),
    )
}

/// GSI1 keys listing the guest orders placed with one email, by its SHA-256 (found and moved to
/// the account when that email is verified): `GUESTORDERS#<sha256 hex>` / `ORDER#<created>#<order>`,
/// the sort key shaped as a customer's ([`user_orders_gsi1`]).
pub fn guest_orders_gsi1(email_hash: &str, created_at: u64, order: &OrderId) -> Key {
    Key::new(
        guest_orders_partition(email_hash),
        format!("ORDER#{created_at:012}#{order}"),
    )
}

pub fn guest_orders_partition(email_hash: &str) -> String {
    format!("GUESTORDERS#{email_hash}")
}

/// GSI1's partition of a customer's orders ([`user_orders_gsi1`]).
pub fn user_orders_partition(user: &UserId) -> String {
    format!("USER#{user}")
}

/// An idempotency record of one user's request key: `IDEMPOTENCY#<user>#<key>` / `IDEMPOTENCY`.
pub fn idempotency(user: &UserId, key: &str) -> Key {
    Key::new(format!("IDEMPOTENCY#{user}#{key}"), "IDEMPOTENCY")
}

/// A category: `CATEGORY#<slug>` / `CATEGORY`, listed under GSI1 `CATALOG#CATEGORIES` / `<position>#<slug>`.
pub fn category(slug: &str) -> Key {
    Key::new(format!("CATEGORY#{slug}"), "CATEGORY")
}
pub const CATEGORIES_GSI1: &str = "CATALOG#CATEGORIES";
pub fn category_list_sk(position: u32, slug: &str) -> String {
    format!("{position:04}#{slug}")
}

/// A brand: `BRAND#<slug>` / `BRAND`, listed under GSI1 `CATALOG#BRANDS`.
pub fn brand(slug: &str) -> Key {
    Key::new(format!("BRAND#{slug}"), "BRAND")
}
pub const BRANDS_GSI1: &str = "CATALOG#BRANDS";

/// A warehouse: `WAREHOUSE#<id>` / `WAREHOUSE`, listed under GSI1 `CATALOG#WAREHOUSES`.
pub fn warehouse(id: &str) -> Key {
    Key::new(format!("WAREHOUSE#{id}"), "WAREHOUSE")
}
pub const WAREHOUSES_GSI1: &str = "CATALOG#WAREHOUSES";

/// The shop's selling configuration: one partition (`SHOP`), read by one Query.
pub const SHOP_PARTITION: &str = "SHOP";

/// The shipping zones and options, one document: `SHOP` / `SHIPPING`.
pub fn shipping_config() -> Key {
    Key::new(SHOP_PARTITION.into(), "SHIPPING")
}

/// The tax settings: `SHOP` / `TAX`.
pub fn tax_settings() -> Key {
    Key::new(SHOP_PARTITION.into(), "TAX")
}

/// A discount code (its rules and its count of uses): `DISCOUNT#<CODE>` / `DISCOUNT`.
pub fn discount(code: &str) -> Key {
    Key::new(format!("DISCOUNT#{code}"), "DISCOUNT")
}

/// How often one customer (or guest, by its derived id) used a code: `DISCOUNT#<CODE>` /
/// `USE#<user id>`, beside the code.
pub fn discount_use(code: &str, user: &UserId) -> Key {
    Key::new(format!("DISCOUNT#{code}"), format!("USE#{user}"))
}

/// The admin's list of codes (gsi1, sorted by code).
pub const DISCOUNTS_GSI1: &str = "SHOP#DISCOUNTS";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_strings_are_pinned() {
        assert_eq!(
            (discount("SUMMER-10").pk, discount("SUMMER-10").sk),
            ("DISCOUNT#SUMMER-10".into(), "DISCOUNT".into())
        );
        assert_eq!(
            discount_use(
                "SUMMER-10",
                &UserId::parse("0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f70").unwrap()
            )
            .sk,
            "USE#0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f70"
        );
        assert_eq!(DISCOUNTS_GSI1, "SHOP#DISCOUNTS");
        let o = OrderId::parse("0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f74").unwrap();
        let k = orders_by_day(1_795_291_080, &o);
        assert!(k.pk.starts_with("ORDERS#2026-11-21#"), "{}", k.pk);
        assert_eq!(k.sk, "001795291080#0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f74");
        assert_eq!(
            (shipping_config().pk, shipping_config().sk),
            ("SHOP".into(), "SHIPPING".into())
        );
        assert_eq!(
            (tax_settings().pk, tax_settings().sk),
            ("SHOP".into(), "TAX".into())
        );
        let u = UserId::parse("0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f70").unwrap();
        let s = SessionId::parse("0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f71").unwrap();
        assert_eq!(
            user(&u),
            Key {
                pk: "USER#0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f70".into(),
                sk: "PROFILE".into()
            }
        );
        assert_eq!(user_email("a@b.co").pk, "EMAIL#a@b.co");
        assert_eq!(user_email("a@b.co").sk, "EMAIL");
        assert_eq!(
            session(&s).pk,
            "SESSION#0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f71"
        );
        assert_eq!(session(&s).sk, "SESSION");
        assert_eq!(spent_refresh_token(&s, "ab12").sk, "SPENT#ab12");
        assert_eq!(spent_refresh_token(&s, "ab12").pk, session(&s).pk);
        let g = user_sessions_gsi1(&u, 1_795_204_680, &s);
        assert_eq!(g.pk, "USER#0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f70");
        assert_eq!(
            g.sk,
            "SESSION#001795204680#0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f71"
        );
        let p = ProductId::parse("0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f72").unwrap();
        let i = ImageId::parse("0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f73").unwrap();
        assert_eq!(
            product(&p).pk,
            "PRODUCT#0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f72"
        );
        assert_eq!(product(&p).sk, "PRODUCT");
        assert_eq!(product_stock(&p, "lon-1").sk, "STOCK#lon-1");
        assert_eq!(stock_by_warehouse("lon-1"), "STOCK#lon-1");
        assert_eq!(
            product_of_partition(&product_partition(&p)),
            Some(p.clone())
        );
        assert_eq!(product_of_partition("ORDER#x"), None);
        let o = OrderId::generate();
        assert_eq!(order_of_partition(&order(&o).pk), Some(o.clone()));
        assert_eq!(order_of_partition(&product_partition(&p)), None);
        assert_eq!(
            product_image(&p, &i).sk,
            "IMAGE#0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f73"
        );
        assert_eq!(
            product_sort("  Red #1 Kettle ", &p),
            "PRODUCT#red  1 kettle#0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f72"
        );
        assert_eq!(cart(&u).pk, "CART#0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f70");
        assert_eq!(cart(&u).sk, "CART");
        assert_eq!(guest_cart("ab12").pk, "GUESTCART#ab12");
        assert_eq!(guest_cart("ab12").sk, "CART");
        let o = OrderId::parse("0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f74").unwrap();
        assert_eq!(order(&o).pk, "ORDER#0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f74");
        assert_eq!(order(&o).sk, "ORDER");
        assert_eq!(
            order_line(&o, &p).sk,
            "LINE#0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f72"
        );
        assert_eq!(order_shipment(&o, "lon-1").sk, "SHIPMENT#lon-1");
        assert_eq!(order_shipment(&o, "lon-1").pk, order(&o).pk);
        assert_eq!(order_email(&o, "shipped").sk, "EMAIL#shipped");
        assert_eq!(order_email(&o, "shipped").pk, order(&o).pk);
        let (p, i) = (
            ProductId::parse("0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f72").unwrap(),
            ImageId::parse("0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f73").unwrap(),
        );
        let k = images_gsi1("rejected", "2026-12-02T17:00:00Z", &p, &i);
        assert_eq!(k.pk, "CATALOG#IMAGES#rejected");
        assert_eq!(
            k.sk,
            "2026-12-02T17:00:00Z#0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f72#0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f73"
        );
        assert_eq!(
            order_email_resend(&o, "shipped", "ab12").sk,
            "EMAIL#shipped#RESEND#ab12"
        );
        assert_eq!(
            order_refund_email(&o, "evt_1").sk,
            "EMAIL#refund#EVENT#evt_1"
        );
        let log = order_payment_log(&o, 1_795_291_080_000, "evt_1");
        assert_eq!(log.sk, "PAYLOG#001795291080000#evt_1");
        assert_eq!(payment_log_event(&log.sk), Some("evt_1"));
        assert_eq!(payment_log_event("EMAIL#x"), None);
        assert_eq!(payment("stripe", "pi_1").pk, "PAYMENT#stripe#pi_1");
        assert_eq!(payment("stripe", "pi_1").sk, "PAYMENT");
        assert_eq!(
            user_orders_gsi1(&u, 1_795_291_080, &o).sk,
            "ORDER#001795291080#0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f74"
        );
        let g = guest_orders_gsi1("ab12", 1_795_291_080, &o);
        assert_eq!(g.pk, "GUESTORDERS#ab12");
        assert_eq!(g.sk, user_orders_gsi1(&u, 1_795_291_080, &o).sk);
        assert_eq!(
            idempotency(&u, "k-1").pk,
            "IDEMPOTENCY#0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f70#k-1"
        );
        assert_eq!(category_products_gsi1("kitchen"), "CATEGORY#kitchen");
        assert_eq!(brand_products_gsi2("acme"), "BRAND#acme");
        assert_eq!(ACTIVE_PRODUCTS_GSI3, "CATALOG#ACTIVE");
        assert_eq!(category("kitchen").pk, "CATEGORY#kitchen");
        assert_eq!(category_list_sk(3, "kitchen"), "0003#kitchen");
        assert_eq!(warehouse("lon-1").pk, "WAREHOUSE#lon-1");
        assert_eq!(
            brand_products_gsi2_sk("kitchen", "PRODUCT#kettle#x"),
            "CATEGORY#kitchen#PRODUCT#kettle#x"
        );
        assert_eq!(
            brand_products_gsi2_category_prefix("kitchen"),
            "CATEGORY#kitchen#"
        );
        let a = AddressId::parse("0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f75").unwrap();
        assert_eq!(
            address_book(&u).pk,
            "ADDRESSES#0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f70"
        );
        assert_eq!(address_book(&u).sk, "BOOK");
        assert_eq!(address(&u, &a).pk, address_book(&u).pk);
        assert_eq!(
            address(&u, &a).sk,
            "ADDRESS#0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f75"
        );
        assert!(address(&u, &a).sk.starts_with(ADDRESS_SK_PREFIX));
        assert_eq!(
            account_email("r-1", "password_reset"),
            Key {
                pk: "MAILREQ#r-1".into(),
                sk: "EMAIL#password_reset".into()
            }
        );
        assert_eq!(account_token("ab12").pk, "TOKEN#ab12");
        assert_eq!(account_token("ab12").sk, "TOKEN");
        let f = login_failures("a@b.co", 900);
        assert_eq!(
            (f.pk.as_str(), f.sk.as_str()),
            ("LOGINFAIL#a@b.co", "WINDOW#000000000900")
        );
    }
}
