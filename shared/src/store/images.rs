//! The admin's view of processed images: every record image-resize writes is on GSI1 under its
//! status (`CATALOG#IMAGES#<status>`, sorted by when it was processed), so the rejected uploads
//! (not an image, too large, a format we do not read) are one Query away, newest first.
//!
//! Written once per upload, so one partition per status is no hot spot (uploads are an admin's,
//! a handful a minute at most). Records written before the index existed are not on it.

use super::catalog::{ImageRecord, ImageStatus};
use super::{Item, Store, StoreError, s};
use crate::ids::{ImageId, ProductId};
use crate::keys;

impl ImageStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            ImageStatus::Ready => "ready",
            ImageStatus::Rejected => "rejected",
        }
    }
}

/// Where a page of images starts: the last image of the page before (its cursor,
/// `<processed at>_<product id>_<image id>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageCursor {
    pub processed_at: String,
    pub product: ProductId,
    pub image: ImageId,
}

impl ImageCursor {
    pub fn of(r: &ImageRecord) -> Self {
        Self {
            processed_at: r.processed_at.clone(),
            product: r.product_id.clone(),
            image: r.image_id.clone(),
        }
    }

    /// A cursor this listing returned, or `None`.
    pub fn parse(s: &str) -> Option<Self> {
        let mut parts = s.split('_');
        let (at, product, image) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || crate::time::parse_rfc3339(at).is_none() {
            return None;
        }
        Some(Self {
            processed_at: at.to_string(),
            product: ProductId::parse(product)?,
            image: ImageId::parse(image)?,
        })
    }

    pub fn encode(&self) -> String {
        format!("{}_{}_{}", self.processed_at, self.product, self.image)
    }
}

/// The record as stored: with its GSI1 keys.
pub(super) fn indexed(record: &ImageRecord) -> Result<Item, StoreError> {
    let mut item: Item = serde_dynamo::to_item(record)?;
    let k = keys::images_gsi1(
        record.status.as_str(),
        &record.processed_at,
        &record.product_id,
        &record.image_id,
    );
    item.insert(keys::GSI1_PK.into(), s(k.pk));
    item.insert(keys::GSI1_SK.into(), s(k.sk));
    Ok(item)
}

impl Store {
    /// A page of the images in `status`, newest first, after `after`; and the next page's
    /// cursor, if there is more.
    pub async fn list_images(
        &self,
        status: ImageStatus,
        limit: usize,
        after: Option<&ImageCursor>,
    ) -> Result<(Vec<ImageRecord>, Option<String>), StoreError> {
        let start = after.map(|c| {
            let table = keys::product_image(&c.product, &c.image);
            let index = keys::images_gsi1(status.as_str(), &c.processed_at, &c.product, &c.image);
            [
                ("pk".to_string(), s(table.pk)),
                ("sk".to_string(), s(table.sk)),
                (keys::GSI1_PK.to_string(), s(index.pk)),
                (keys::GSI1_SK.to_string(), s(index.sk)),
            ]
            .into_iter()
            .collect()
        });
        let partition = keys::images_gsi1_partition(status.as_str());
        let q = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(keys::GSI1)
            .key_condition_expression("gsi1pk = :p")
            .expression_attribute_values(":p", s(partition))
            .scan_index_forward(false);
        let mut found: Vec<ImageRecord> = super::query_page(q, start, limit).await?;
        let next = if found.len() > limit {
            found.truncate(limit);
            found.last().map(|r| ImageCursor::of(r).encode())
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
    fn a_cursor_is_only_what_the_listing_returns() {
        let c = ImageCursor {
            processed_at: "2026-12-02T17:00:00Z".into(),
            product: ProductId::parse("0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f72").unwrap(),
            image: ImageId::parse("0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f73").unwrap(),
        };
        assert_eq!(ImageCursor::parse(&c.encode()), Some(c.clone()));
        for bad in [
            "",
            "x",
            "2026-12-02T17:00:00Z_0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f72",
            &format!("{}_extra", c.encode()),
            &c.encode().replace("2026-12-02T17:00:00Z", "yesterday"),
        ] {
            assert_eq!(ImageCursor::parse(bad), None, "{bad}");
        }
    }
}
