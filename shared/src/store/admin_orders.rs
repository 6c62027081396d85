//! The admin's listing of orders, newest first, in a window of creation times, optionally of one
//! status: every order is on the keys-only `orders` index under `ORDERS#<day>#<shard>`
//! (`keys::orders_by_day`), 8 shards a day so a sale's orders spread over 8 index partitions, and
//! a page reads the newest day's 8 shards (side by side), reads the orders they name
//! (BatchGetItem), merges them by time, and goes back a day at a time until it is full. Keys only,
//! so an order's later writes (paid, fulfilling, shipped, ...) never rewrite its index entry: the
//! index costs one write per order, the listing (rare, the admin's) the reads. One customer's orders (by email) come from that customer's two order lists on GSI1, their
//! account's and their guest orders', merged the same way. The cursor is the last order's
//! `<created, 12 digits>#<order id>`, the same in both.

use super::orders::OrderItem;
use super::{Store, StoreError, s};
use crate::ids::UserId;
use crate::keys;
use crate::state::OrderStatus;

/// What to list.
#[derive(Debug, Clone)]
pub struct OrderFilter {
    /// Unix seconds, both inclusive.
    pub from: u64,
    pub to: u64,
    pub status: Option<OrderStatus>,
    /// The cursor: only orders before this sort key (`<created 12 digits>#<order id>`).
    pub before: Option<String>,
    pub limit: usize,
}

/// The cursor of an order (`<created 12 digits>#<order id>`).
pub fn cursor_of(o: &OrderItem) -> String {
    let created = crate::time::parse_rfc3339(&o.created_at).unwrap_or(0);
    format!("{created:012}#{}", o.order_id)
}

impl Store {
    /// Newest first, up to `limit` of `f` from one index partition whose sort keys are
    /// `<prefix><created 12 digits>#<order id>`.
    async fn orders_in(
        &self,
        index: &str,
        (pk_attr, sk_attr): (&str, &str),
        partition: String,
        prefix: &str,
        f: &OrderFilter,
    ) -> Result<Vec<OrderItem>, StoreError> {
        let lo = format!("{prefix}{:012}#", f.from);
        let hi = match &f.before {
            Some(c) => format!("{prefix}{c}"),
            // '~' sorts after every id character.
            None => format!("{prefix}{:012}#~", f.to),
        };
        let mut q = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index)
            .scan_index_forward(false)
            .key_condition_expression("#pk = :p AND #sk BETWEEN :lo AND :hi")
            .expression_attribute_names("#pk", pk_attr)
            .expression_attribute_names("#sk", sk_attr)
            .expression_attribute_values(":p", s(partition))
            .expression_attribute_values(":lo", s(lo))
            .expression_attribute_values(":hi", s(&hi));
        if let Some(st) = f.status {
            q = q
                .filter_expression("#st = :st")
                .expression_attribute_names("#st", "status")
                .expression_attribute_values(":st", s(st.as_str()));
        }
        let mut found: Vec<OrderItem> = super::query_page(q, None, f.limit).await?;
        // BETWEEN includes the cursor itself: the page before it starts after it.
        if let Some(c) = &f.before {
            found.retain(|o| &cursor_of(o) != c);
        }
        Ok(found)
    }

    /// Newest first, up to `limit` (+1) orders of `f` in one shard of one day of the keys-only
    /// `orders` index: keys a page at a time, the orders they name read, the status filtered.
    async fn orders_of_shard(
        &self,
        partition: String,
        f: &OrderFilter,
    ) -> Result<Vec<OrderItem>, StoreError> {
        let lo = format!("{:012}#", f.from);
        let hi = match &f.before {
            Some(c) => c.clone(),
            None => format!("{:012}#~", f.to),
        };
        let q = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(keys::ORDERS_INDEX)
            .scan_index_forward(false)
            .key_condition_expression("#pk = :p AND #sk BETWEEN :lo AND :hi")
            .expression_attribute_names("#pk", keys::ORDERS_PK)
            .expression_attribute_names("#sk", keys::ORDERS_AT)
            .expression_attribute_values(":p", s(partition))
            .expression_attribute_values(":lo", s(lo))
            .expression_attribute_values(":hi", s(&hi));
        let mut out: Vec<OrderItem> = Vec::new();
        let mut from = None;
        loop {
            let page = q
                .clone()
                .limit((f.limit + 1) as i32)
                .set_exclusive_start_key(from.take())
                .send()
                .await
                .map_err(|e| StoreError::from_sdk("Query", e))?;
            let found: Vec<keys::Key> = serde_dynamo::from_items(page.items.unwrap_or_default())?;
            let mut orders: Vec<OrderItem> = self.batch_get(&found).await?;
            orders.retain(|o| {
                f.status.is_none_or(|st| o.status == st)
                    && f.before.as_ref().is_none_or(|c| &cursor_of(o) != c)
            });
            out.extend(orders);
            match page.last_evaluated_key {
                Some(k) if !k.is_empty() && out.len() <= f.limit => from = Some(k),
                _ => break,
            }
        }
        Ok(out)
    }

    /// Every order in the window, newest first: a page and the next page's cursor.
    pub async fn list_orders(
        &self,
        f: &OrderFilter,
    ) -> Result<(Vec<OrderItem>, Option<String>), StoreError> {
        let newest = match &f.before {
            Some(c) => c
                .get(..12)
                .and_then(|t| t.parse::<u64>().ok())
                .unwrap_or(f.to)
                .min(f.to),
            None => f.to,
        };
        let mut out: Vec<OrderItem> = Vec::new();
        let mut day_start = newest - newest % 86_400;
        loop {
            let day = crate::time::rfc3339(day_start)[..10].to_string();
            let shards = (0..keys::ORDER_DAY_SHARDS).map(|n| {
                let f = OrderFilter {
                    limit: f.limit - out.len(),
                    ..f.clone()
                };
                let partition = keys::orders_day_partition(&day, n);
                async move { self.orders_of_shard(partition, &f).await }
            });
            for found in futures_util::future::join_all(shards).await {
                out.extend(found?);
            }
            out.sort_by_key(|o| std::cmp::Reverse(cursor_of(o)));
            out.truncate(f.limit);
            if out.len() >= f.limit || day_start <= f.from - f.from % 86_400 {
                break;
            }
            day_start -= 86_400;
        }
        let next = (out.len() >= f.limit)
            .then(|| out.last().map(cursor_of))
            .flatten();
        Ok((out, next))
    }

    /// One customer's orders in the window, newest first: those of `user` (the account with that
    /// email, if there is one) and the guest orders placed with `email` not yet moved to it.
    pub async fn list_orders_of(
        &self,
        email: &str,
        user: Option<&UserId>,
        f: &OrderFilter,
    ) -> Result<(Vec<OrderItem>, Option<String>), StoreError> {
        let names = ("gsi1pk", "gsi1sk");
        let guest = keys::guest_orders_partition(&crate::digest::sha256_hex(email.as_bytes()));
        let mut out = self
            .orders_in(keys::GSI1, names, guest, "ORDER#", f)
            .await?;
        if let Some(u) = user {
            let mine = keys::user_orders_partition(u);
            out.extend(self.orders_in(keys::GSI1, names, mine, "ORDER#", f).await?);
        }
        out.sort_by_key(|o| std::cmp::Reverse(cursor_of(o)));
        out.truncate(f.limit);
        let next = (out.len() >= f.limit)
            .then(|| out.last().map(cursor_of))
            .flatten();
        Ok((out, next))
    }
}
