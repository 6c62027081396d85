//! What of a product the index holds, and when a change to a product changes it.

use crate::schema::Fields;
use ferrocart::store::catalog::{ProductItem, ProductStatus};
use ferrocart::views::product_view::LOW_STOCK_THRESHOLD;
use tantivy::TantivyDocument;

/// Availability levels as the index stores them (the listings' three words).
pub fn availability_level(stock_available: i64) -> u64 {
    match ferrocart::views::product_view::availability(stock_available) {
        "out_of_stock" => 0,
        "low_stock" => 1,
        _ => 2,
    }
}

/// The part of a product that search shows or matches on: two products with equal `SearchDoc`s
/// index the same, so a change that leaves it equal (most stock moves) publishes nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchDoc {
    pub card: ProductItem,
    pub description: String,
    pub availability: u64,
    pub created: u64,
}

impl SearchDoc {
    /// The document of an active product; `None` for drafts and archived products, which search
    /// never finds.
    pub fn of(p: &ProductItem) -> Option<Self> {
        if p.status != ProductStatus::Active {
            return None;
        }
        let mut card = p.clone();
        // Held once, in its own stored field; the index keys and exact counts are not shown.
        let description = std::mem::take(&mut card.description);
        card.gsi1pk = None;
        card.gsi1sk = None;
        card.gsi2pk = None;
        card.gsi2sk = None;
        card.gsi3pk = None;
        card.gsi3sk = None;
        // The job rewrites these daily: search shows neither, so they cost it no update.
        card.recommended = Vec::new();
        card.recommended_at = None;
        let availability = availability_level(p.stock_available);
        // The card says only how available it is (as the listings do), so that stock moves within
        // a level leave the document as it was.
        card.stock_available = match availability {
            0 => 0,
            1 => LOW_STOCK_THRESHOLD,
            _ => LOW_STOCK_THRESHOLD + 1,
        };
        card.version = 0;
        card.updated_at = String::new();
        let created = ferrocart::time::parse_rfc3339(&p.created_at).unwrap_or(0);
        Some(Self {
            card,
            description,
            availability,
            created,
        })
    }

    pub fn to_document(&self, f: &Fields) -> TantivyDocument {
        let c = &self.card;
        let mut d = TantivyDocument::default();
        d.add_text(f.id, c.product_id.to_string());
        d.add_text(f.name, &c.name);
        d.add_text(f.description, &self.description);
        d.add_text(f.brand_text, c.brand.replace('-', " "));
        d.add_text(f.category_text, c.category.replace('-', " "));
        for text in [
            c.name.as_str(),
            &self.description,
            &c.brand.replace('-', " "),
            &c.category.replace('-', " "),
        ] {
            d.add_text(f.words, text);
        }
        d.add_text(f.brand, &c.brand);
        d.add_text(f.category, &c.category);
        d.add_u64(f.price, c.price.max(0) as u64);
        d.add_u64(
            f.sale_price,
            c.sale_price.map_or(u64::MAX, |p| p.max(0) as u64),
        );
        d.add_u64(f.sale_starts, c.sale_starts_at.unwrap_or(0));
        d.add_u64(f.sale_ends, c.sale_ends_at.unwrap_or(u64::MAX));
        d.add_u64(f.availability, self.availability);
        d.add_u64(f.created, self.created);
        // Serialising a ProductItem to JSON cannot fail (string keys, no maps with other keys).
        d.add_text(f.card, serde_json::to_string(c).unwrap_or_default());
        d
    }
}

/// What a change to a product's item does to the index.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Index (or re-index) this document.
    Upsert(Box<SearchDoc>),
    /// Remove the product (archived, back to draft, or deleted).
    Remove,
    /// Nothing search shows changed (a stock move that stays on the same availability level).
    Nothing,
}

/// The change from `old` to `new` (either absent: an insert or a removal).
pub fn change(old: Option<&ProductItem>, new: Option<&ProductItem>) -> Change {
    let (old, new) = (old.and_then(SearchDoc::of), new.and_then(SearchDoc::of));
    match (old, new) {
        (Some(o), Some(n)) if o == n => Change::Nothing,
        (_, Some(n)) => Change::Upsert(Box::new(n)),
        (Some(_), None) => Change::Remove,
        // Never searchable before or after; removing is still right (and harmless) if an earlier
        // record was lost, but a draft's edits should not publish anything.
        (None, None) => Change::Nothing,
    }
}
