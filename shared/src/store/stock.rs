//! The low-stock report: every stock row is on the keys-only `stock` index under its warehouse
//! (`STOCK#<warehouse>`), sorted by the units on hand, so "what in this warehouse has fewer than
//! N" is one Query, lowest first, whatever the catalog's size.
//!
//! The sort key is `quantity` itself, a number: set-stock's Put and fulfilment's `ADD quantity
//! -q` keep the index current with no extra attribute to maintain. Each such write moves the
//! row on the index (a delete and a put: 2 index write units per stock row written). They come
//! from set-stock (an admin's) and from fulfilment (one per line and warehouse of a paid order,
//! asynchronous and retried from its queue, so an index partition's limit slows shipping, never
//! checkout, and loses nothing). One warehouse is one index partition: about 500 fulfilled lines
//! a second per warehouse before it throttles, more once DynamoDB splits it by sort key.

use super::{Store, StoreError, n, s};
use crate::ids::ProductId;
use crate::keys;
use serde::Deserialize;

/// One row of the report: a product and its units on hand in the warehouse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LowStock {
    pub product_id: ProductId,
    pub quantity: i64,
}

#[derive(Deserialize)]
struct IndexRow {
    pk: String,
    quantity: i64,
}

/// Where a page of the report starts: the last row of the page before, `<quantity>_<product>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockCursor {
    pub quantity: i64,
    pub product: ProductId,
}

impl StockCursor {
    /// A cursor this report returned, or `None`.
    pub fn parse(s: &str) -> Option<Self> {
        let (q, product) = s.split_once('_')?;
        let quantity: i64 = q.parse().ok().filter(|q| *q >= 0)?;
        if q != quantity.to_string() {
            return None;
        }
        Some(Self {
            quantity,
            product: ProductId::parse(product)?,
        })
    }

    pub fn encode(&self) -> String {
        format!("{}_{}", self.quantity, self.product)
    }
}

impl Store {
    /// A page of `warehouse`'s stock rows with fewer than `below` units on hand, lowest first,
    /// after `after`; and the next page's cursor, if there is more (eventually consistent: the
    /// index follows the table within a second or so).
    pub async fn low_stock(
        &self,
        warehouse: &str,
        below: i64,
        limit: usize,
        after: Option<&StockCursor>,
    ) -> Result<(Vec<LowStock>, Option<String>), StoreError> {
        if after.is_some_and(|c| c.quantity >= below) {
            // A cursor from a report with a higher `below`: nothing after it is below this one
            // (and DynamoDB refuses a start key outside the key condition).
            return Ok((Vec::new(), None));
        }
        let partition = keys::stock_by_warehouse(warehouse);
        let start = after.map(|c| {
            let table = keys::product_stock(&c.product, warehouse);
            [
                (keys::PK.to_string(), s(table.pk)),
                (keys::SK.to_string(), s(table.sk)),
                (keys::STOCK_WH.to_string(), s(&partition)),
                ("quantity".to_string(), n(c.quantity)),
            ]
            .into_iter()
            .collect()
        });
        let q = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(keys::STOCK_INDEX)
            .key_condition_expression("#wh = :wh AND quantity < :below")
            .expression_attribute_names("#wh", keys::STOCK_WH)
            .expression_attribute_values(":wh", s(&partition))
            .expression_attribute_values(":below", n(below))
            .scan_index_forward(true);
        let rows: Vec<IndexRow> = super::query_page(q, start, limit).await?;
        let mut found: Vec<LowStock> = rows
            .into_iter()
            .filter_map(|r| {
                Some(LowStock {
                    product_id: keys::product_of_partition(&r.pk)?,
                    quantity: r.quantity,
                })
            })
            .collect();
        let next = if found.len() > limit {
            found.truncate(limit);
            found.last().map(|r| {
                StockCursor {
                    quantity: r.quantity,
                    product: r.product_id.clone(),
                }
                .encode()
            })
        } else {
            None
        };
        Ok((found, next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_is_only_what_the_report_returns() {
        let p = ProductId::parse("0b6f3c1e-2a4d-4f7e-9c3a-5d2e8f1a7b90").unwrap();
        let c = StockCursor {
            quantity: 7,
            product: p.clone(),
        };
        assert_eq!(StockCursor::parse(&c.encode()), Some(c));
        for bad in [
            "",
            "7",
            "_0b6f3c1e-2a4d-4f7e-9c3a-5d2e8f1a7b90",
            "-1_0b6f3c1e-2a4d-4f7e-9c3a-5d2e8f1a7b90",
            "+7_0b6f3c1e-2a4d-4f7e-9c3a-5d2e8f1a7b90",
            "07_0b6f3c1e-2a4d-4f7e-9c3a-5d2e8f1a7b90",
            "7_not-a-product",
            "99999999999999999999_0b6f3c1e-2a4d-4f7e-9c3a-5d2e8f1a7b90",
        ] {
            assert_eq!(StockCursor::parse(bad), None, "{bad}");
        }
    }
}
