//! The catalog: categories, brands, warehouses, products, per-warehouse stock and image records.
//!
//! Only *active* products carry index keys, so the three listing indexes are sparse:
//! gsi1 = a category's products, gsi2 = a brand's products grouped by category, gsi3 = all.
//! Every listing is ordered by [`keys::product_sort`] (name, then id).

use super::users::build_err;
use super::{Item, Store, StoreError, condition_held, key_item, n, s};
use crate::ids::{ImageId, ProductId};
use crate::keys;
pub use crate::selling::tax::TaxClass;
use aws_sdk_dynamodb::types::{ConditionCheck, Put, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProductStatus {
    Draft,
    Active,
    Archived,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageVariant {
    pub width: u32,
    pub height: u32,
    /// `webp` or `jpeg`.
    pub format: String,
    /// Object key in the media bucket.
    pub key: String,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductImage {
    pub image_id: ImageId,
    pub variants: Vec<ImageVariant>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductItem {
    pub pk: String,
    pub sk: String,
    pub entity: String,
    pub product_id: ProductId,
    pub name: String,
    pub description: String,
    pub category: String,
    pub brand: String,
    /// Unit price in the currency's minor unit.
    pub price: i64,
    pub currency: String,
    /// A sale: this price instead of `price` from `sale_starts_at` (unix seconds; absent: at
    /// once) until before `sale_ends_at` (absent: until removed). [`ProductItem::price_at`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sale_price: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sale_starts_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sale_ends_at: Option<u64>,
    /// Shipping weight of one unit (0 until set: weight-banded shipping then counts it as nothing).
    #[serde(default)]
    pub weight_grams: u32,
    /// Which of the destination's tax rates it pays.
    #[serde(default)]
    pub tax_class: TaxClass,
    pub status: ProductStatus,
    /// Units that can still be sold (on hand over all warehouses, less open reservations).
    pub stock_available: i64,
    /// Ready images by id (ids are time-ordered, so the map's order is upload order).
    #[serde(default)]
    pub images: BTreeMap<String, ProductImage>,
    pub created_at: String,
    pub updated_at: String,
    pub version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi1pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi1sk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi2pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi2sk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi3pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi3sk: Option<String>,
    /// Up to 10 products to show beside it, best first, as the recommendations job last
    /// computed them ([`Store::set_recommended`]); not part of `version`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recommended: Vec<Recommendation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommended_at: Option<String>,
}

/// One recommended product and why it is there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recommendation {
    pub product_id: ProductId,
    pub why: RecommendedBecause,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecommendedBecause {
    /// Bought in the same paid orders (damped by its own popularity).
    BoughtTogether,
    /// Among its category's bestsellers: the fill for products with little or no history.
    CategoryBestseller,
}

/// The listing-index attributes of a product, present only while it is active.
pub struct IndexKeys {
    pub gsi1pk: String,
    pub gsi1sk: String,
    pub gsi2pk: String,
    pub gsi2sk: String,
    pub gsi3pk: String,
    pub gsi3sk: String,
}

impl IndexKeys {
    pub fn for_product(id: &ProductId, name: &str, category: &str, brand: &str) -> Self {
        let sort = keys::product_sort(name, id);
        Self {
            gsi1pk: keys::category_products_gsi1(category),
            gsi1sk: sort.clone(),
            gsi2pk: keys::brand_products_gsi2(brand),
            gsi2sk: keys::brand_products_gsi2_sk(category, &sort),
            gsi3pk: keys::ACTIVE_PRODUCTS_GSI3.to_string(),
            gsi3sk: sort,
        }
    }

    fn pairs(self) -> [(&'static str, String); 6] {
        [
            ("gsi1pk", self.gsi1pk),
            ("gsi1sk", self.gsi1sk),
            ("gsi2pk", self.gsi2pk),
            ("gsi2sk", self.gsi2sk),
            ("gsi3pk", self.gsi3pk),
            ("gsi3sk", self.gsi3sk),
        ]
    }
}

pub struct NewProduct {
    pub name: String,
    pub description: String,
    pub category: String,
    pub brand: String,
    pub price: i64,
    pub currency: String,
    pub weight_grams: u32,
    pub tax_class: TaxClass,
    pub status: ProductStatus,
}

/// What a product's price is made of: checkout charges from it and conditions its transaction
/// on all of it being unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pricing {
    pub price: i64,
    pub sale_price: Option<i64>,
    pub sale_starts_at: Option<u64>,
    pub sale_ends_at: Option<u64>,
}

impl Pricing {
    /// The sale applies at `now`: `sale_starts_at <= now < sale_ends_at` (open ends always hold).
    pub fn on_sale_at(&self, now: u64) -> bool {
        self.sale_price.is_some()
            && self.sale_starts_at.is_none_or(|s| s <= now)
            && self.sale_ends_at.is_none_or(|e| now < e)
    }

    /// The unit price at `now`.
    pub fn price_at(&self, now: u64) -> i64 {
        match self.sale_price {
            Some(p) if self.on_sale_at(now) => p,
            _ => self.price,
        }
    }
}

impl ProductItem {
    pub fn pricing(&self) -> Pricing {
        Pricing {
            price: self.price,
            sale_price: self.sale_price,
            sale_starts_at: self.sale_starts_at,
            sale_ends_at: self.sale_ends_at,
        }
    }

    /// The unit price at `now` (the sale price inside its window).
    pub fn price_at(&self, now: u64) -> i64 {
        self.pricing().price_at(now)
    }

    pub fn new(id: ProductId, p: NewProduct, now: u64) -> Self {
        let k = keys::product(&id);
        let ts = crate::time::rfc3339(now);
        let mut item = Self {
            pk: k.pk,
            sk: k.sk,
            entity: "Product".into(),
            product_id: id,
            name: p.name,
            description: p.description,
            category: p.category,
            brand: p.brand,
            price: p.price,
            currency: p.currency,
            sale_price: None,
            sale_starts_at: None,
            sale_ends_at: None,
            weight_grams: p.weight_grams,
            tax_class: p.tax_class,
            status: p.status,
            stock_available: 0,
            images: BTreeMap::new(),
            created_at: ts.clone(),
            updated_at: ts,
            version: 1,
            gsi1pk: None,
            gsi1sk: None,
            gsi2pk: None,
            gsi2sk: None,
            gsi3pk: None,
            gsi3sk: None,
            recommended: Vec::new(),
            recommended_at: None,
        };
        if item.status == ProductStatus::Active {
            let k =
                IndexKeys::for_product(&item.product_id, &item.name, &item.category, &item.brand);
            item.gsi1pk = Some(k.gsi1pk);
            item.gsi1sk = Some(k.gsi1sk);
            item.gsi2pk = Some(k.gsi2pk);
            item.gsi2sk = Some(k.gsi2sk);
            item.gsi3pk = Some(k.gsi3pk);
            item.gsi3sk = Some(k.gsi3sk);
        }
        item
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CategoryItem {
    pub pk: String,
    pub sk: String,
    pub entity: String,
    pub slug: String,
    pub name: String,
    pub position: u32,
    pub gsi1pk: String,
    pub gsi1sk: String,
}

impl CategoryItem {
    pub fn new(slug: &str, name: &str, position: u32) -> Self {
        let k = keys::category(slug);
        Self {
            pk: k.pk,
            sk: k.sk,
            entity: "Category".into(),
            slug: slug.into(),
            name: name.into(),
            position,
            gsi1pk: keys::CATEGORIES_GSI1.into(),
            gsi1sk: keys::category_list_sk(position, slug),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BrandItem {
    pub pk: String,
    pub sk: String,
    pub entity: String,
    pub slug: String,
    pub name: String,
    pub gsi1pk: String,
    pub gsi1sk: String,
}

impl BrandItem {
    pub fn new(slug: &str, name: &str) -> Self {
        let k = keys::brand(slug);
        Self {
            pk: k.pk,
            sk: k.sk,
            entity: "Brand".into(),
            slug: slug.into(),
            name: name.into(),
            gsi1pk: keys::BRANDS_GSI1.into(),
            gsi1sk: slug.into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WarehouseItem {
    pub pk: String,
    pub sk: String,
    pub entity: String,
    pub warehouse_id: String,
    pub name: String,
    pub country: String,
    /// Lower ships first when stock allows.
    pub priority: u32,
    pub gsi1pk: String,
    pub gsi1sk: String,
}

impl WarehouseItem {
    pub fn new(id: &str, name: &str, country: &str, priority: u32) -> Self {
        let k = keys::warehouse(id);
        Self {
            pk: k.pk,
            sk: k.sk,
            entity: "Warehouse".into(),
            warehouse_id: id.into(),
            name: name.into(),
            country: country.into(),
            priority,
            gsi1pk: keys::WAREHOUSES_GSI1.into(),
            gsi1sk: id.into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StockItem {
    pub pk: String,
    pub sk: String,
    pub entity: String,
    pub product_id: ProductId,
    pub warehouse_id: String,
    /// Units on hand in this warehouse.
    pub quantity: i64,
    pub updated_at: String,
    /// Its partition on the `stock` index (`STOCK#<warehouse>`, sorted by `quantity`), for the
    /// low-stock report. Rows written before that index have none until their next set-stock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stockwh: Option<String>,
}

impl StockItem {
    /// A product's stock row in one warehouse, with its keys and its `stock` index partition.
    pub fn new(product: &ProductId, warehouse: &str, quantity: i64, updated_at: &str) -> Self {
        let k = keys::product_stock(product, warehouse);
        Self {
            pk: k.pk,
            sk: k.sk,
            entity: "Stock".into(),
            product_id: product.clone(),
            warehouse_id: warehouse.into(),
            quantity,
            updated_at: updated_at.into(),
            stockwh: Some(keys::stock_by_warehouse(warehouse)),
        }
    }
}

/// Outcome of processing one uploaded image; also the record that makes processing run once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageStatus {
    Ready,
    Rejected,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImageRecord {
    pub pk: String,
    pub sk: String,
    pub entity: String,
    pub product_id: ProductId,
    pub image_id: ImageId,
    pub source_key: String,
    pub status: ImageStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default)]
    pub variants: Vec<ImageVariant>,
    pub processed_at: String,
}

impl ImageRecord {
    /// What image-resize records for an upload: rejected until its variants are set.
    pub fn new(product: &ProductId, image: &ImageId, source_key: &str, at: &str) -> Self {
        let k = keys::product_image(product, image);
        Self {
            pk: k.pk,
            sk: k.sk,
            entity: "ProductImage".into(),
            product_id: product.clone(),
            image_id: image.clone(),
            source_key: source_key.into(),
            status: ImageStatus::Rejected,
            reason: None,
            variants: Vec::new(),
            processed_at: at.into(),
        }
    }
}

/// Which listing to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProductFilter {
    All,
    Category(String),
    Brand(String),
    CategoryAndBrand { category: String, brand: String },
}

/// Where a listing page starts: the index keys of the last item of the previous page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageKey {
    pub pk: String,
    pub sk: String,
    pub ipk: String,
    pub isk: String,
}

pub struct ProductPage {
    pub items: Vec<ProductItem>,
    pub next: Option<PageKey>,
}

impl ProductFilter {
    /// (index, partition attribute, sort attribute, partition value, sort prefix)
    fn index(
        &self,
    ) -> (
        &'static str,
        &'static str,
        &'static str,
        String,
        Option<String>,
    ) {
        match self {
            Self::All => (
                "gsi3",
                "gsi3pk",
                "gsi3sk",
                keys::ACTIVE_PRODUCTS_GSI3.into(),
                None,
            ),
            Self::Category(c) => (
                "gsi1",
                "gsi1pk",
                "gsi1sk",
                keys::category_products_gsi1(c),
                None,
            ),
            Self::Brand(b) => (
                "gsi2",
                "gsi2pk",
                "gsi2sk",
                keys::brand_products_gsi2(b),
                None,
            ),
            Self::CategoryAndBrand { category, brand } => (
                "gsi2",
                "gsi2pk",
                "gsi2sk",
                keys::brand_products_gsi2(brand),
                Some(keys::brand_products_gsi2_category_prefix(category)),
            ),
        }
    }

    /// True if `key` could have come from this listing (guards tampered cursors).
    pub fn owns(&self, key: &PageKey) -> bool {
        let (_, _, _, partition, prefix) = self.index();
        key.ipk == partition
            && key.pk.starts_with("PRODUCT#")
            && key.sk == "PRODUCT"
            && prefix.is_none_or(|p| key.isk.starts_with(&p))
    }
}

impl Store {
    /// One page of active products: exactly one Query. Reads `limit + 1` items so the last page
    /// is known to be last (no empty trailing page).
    pub async fn list_products(
        &self,
        filter: &ProductFilter,
        limit: usize,
        start: Option<&PageKey>,
    ) -> Result<ProductPage, StoreError> {
        let (index, pk_attr, sk_attr, partition, prefix) = filter.index();
        let mut q = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index)
            .expression_attribute_names("#p", pk_attr)
            .expression_attribute_values(":p", s(&partition))
            .scan_index_forward(true);
        q = match &prefix {
            Some(pre) => q
                .key_condition_expression("#p = :p AND begins_with(#s, :pre)")
                .expression_attribute_names("#s", sk_attr)
                .expression_attribute_values(":pre", s(pre)),
            None => q.key_condition_expression("#p = :p"),
        };
        let from: Option<Item> = start.map(|k| {
            [
                ("pk".to_string(), s(&k.pk)),
                ("sk".to_string(), s(&k.sk)),
                (pk_attr.to_string(), s(&k.ipk)),
                (sk_attr.to_string(), s(&k.isk)),
            ]
            .into_iter()
            .collect()
        });
        let mut items: Vec<ProductItem> = super::query_page(q, from, limit).await?;
        let next = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|last| {
                let (ipk, isk) = match index {
                    "gsi1" => (last.gsi1pk.clone(), last.gsi1sk.clone()),
                    "gsi2" => (last.gsi2pk.clone(), last.gsi2sk.clone()),
                    _ => (last.gsi3pk.clone(), last.gsi3sk.clone()),
                };
                PageKey {
                    pk: last.pk.clone(),
                    sk: last.sk.clone(),
                    ipk: ipk.unwrap_or_default(),
                    isk: isk.unwrap_or_default(),
                }
            })
        } else {
            None
        };
        Ok(ProductPage { items, next })
    }

    pub async fn get_product(
        &self,
        id: &ProductId,
        consistent: bool,
    ) -> Result<Option<ProductItem>, StoreError> {
        self.get(&keys::product(id), consistent).await
    }

    /// A product the public may see (active), eventually consistent; `None` for an unknown one
    /// and for drafts and archived ones.
    pub async fn get_active_product(
        &self,
        id: &ProductId,
    ) -> Result<Option<ProductItem>, StoreError> {
        Ok(self
            .get_product(id, false)
            .await?
            .filter(|p| p.status == ProductStatus::Active))
    }

    /// A brand by its slug (its name as the shop shows it).
    pub async fn get_brand(&self, slug: &str) -> Result<Option<BrandItem>, StoreError> {
        self.get(&keys::brand(slug), false).await
    }

    pub async fn list_categories(&self) -> Result<Vec<CategoryItem>, StoreError> {
        self.query_gsi1_all(keys::CATEGORIES_GSI1).await
    }

    pub async fn list_warehouses(&self) -> Result<Vec<WarehouseItem>, StoreError> {
        self.query_gsi1_all(keys::WAREHOUSES_GSI1).await
    }

    /// Every item of a small, bounded GSI1 partition (catalog lists).
    async fn query_gsi1_all<T: serde::de::DeserializeOwned>(
        &self,
        partition: &str,
    ) -> Result<Vec<T>, StoreError> {
        let items = self
            .query_partition(
                Some((keys::GSI1, keys::GSI1_PK, keys::GSI1_SK)),
                partition,
                None,
                false,
            )
            .await?;
        Ok(serde_dynamo::from_items(items)?)
    }

    /// Creates a product if its category and brand exist. `Err(ConditionFailed)`-style outcomes are
    /// returned as [`CreateProduct`].
    pub async fn create_product(&self, p: &ProductItem) -> Result<CreateProduct, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(serde_dynamo::to_item(p)?))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(build_err)?;
        let exists = |k: keys::Key| {
            ConditionCheck::builder()
                .table_name(&self.table)
                .set_key(Some(key_item(&k)))
                .condition_expression("attribute_exists(pk)")
                .build()
                .map_err(build_err)
        };
        let result = self
            .transact(vec![
                TransactWriteItem::builder().put(put).build(),
                TransactWriteItem::builder()
                    .condition_check(exists(keys::category(&p.category))?)
                    .build(),
                TransactWriteItem::builder()
                    .condition_check(exists(keys::brand(&p.brand))?)
                    .build(),
            ])
            .await;
        match result {
            Ok(_) => Ok(CreateProduct::Created),
            Err(e) if e.condition_failed_at(1) => Ok(CreateProduct::UnknownCategory),
            Err(e) if e.condition_failed_at(2) => Ok(CreateProduct::UnknownBrand),
            Err(e) if e.condition_failed_at(0) => Ok(CreateProduct::Exists),
            Err(e) => Err(e),
        }
    }

    /// Applies a change to a product if it is still at `expected_version`. `Ok(false)` on a
    /// version conflict (someone else changed it first).
    pub async fn update_product(
        &self,
        updated: &ProductItem,
        expected_version: u64,
    ) -> Result<bool, StoreError> {
        let mut set = vec![
            "#name = :name",
            "description = :description",
            "price = :price",
            "currency = :currency",
            "weight_grams = :weight",
            "tax_class = :tax_class",
            "#status = :status",
            "updated_at = :updated_at",
            "version = :new_version",
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
        let mut remove = Vec::new();
        let mut values: Item = [
            (":name", s(&updated.name)),
            (":description", s(&updated.description)),
            (":price", n(updated.price)),
            (":currency", s(&updated.currency)),
            (":weight", n(updated.weight_grams)),
            (
                ":tax_class",
                serde_dynamo::to_attribute_value(updated.tax_class)?,
            ),
            (":status", serde_dynamo::to_attribute_value(updated.status)?),
            (":updated_at", s(&updated.updated_at)),
            (":new_version", n(expected_version + 1)),
            (":expected", n(expected_version)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        for (attr, value) in [
            ("sale_price", updated.sale_price.map(|v| v as u64)),
            ("sale_starts_at", updated.sale_starts_at),
            ("sale_ends_at", updated.sale_ends_at),
        ] {
            match value {
                Some(v) => {
                    set.push(format!("{attr} = :{attr}"));
                    values.insert(format!(":{attr}"), n(v));
                }
                None => remove.push(attr.to_string()),
            }
        }
        let index = IndexKeys::for_product(
            &updated.product_id,
            &updated.name,
            &updated.category,
            &updated.brand,
        );
        for (attr, value) in index.pairs() {
            if updated.status == ProductStatus::Active {
                set.push(format!("{attr} = :{attr}"));
                values.insert(format!(":{attr}"), s(value));
            } else {
                remove.push(attr.to_string());
            }
        }
        let mut expr = format!("SET {}", set.join(", "));
        if !remove.is_empty() {
            expr.push_str(&format!(" REMOVE {}", remove.join(", ")));
        }
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::product(&updated.product_id))))
            .update_expression(expr)
            .condition_expression("version = :expected")
            .expression_attribute_names("#name", "name")
            .expression_attribute_names("#status", "status")
            .set_expression_attribute_values(Some(values))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("UpdateItem", e));
        condition_held(result)
    }

    /// Every active product, in name order (pages of 100 from the active listing): for jobs that
    /// go over the whole catalog (the search rebuild, recommendations).
    pub async fn all_active_products(&self) -> Result<Vec<ProductItem>, StoreError> {
        let mut all = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .list_products(&ProductFilter::All, 100, start.as_ref())
                .await?;
            all.extend(page.items);
            match page.next {
                Some(next) => start = Some(next),
                None => return Ok(all),
            }
        }
    }

    /// Sets a product's recommendations (an empty list removes them), leaving its `version`:
    /// they are not an edit. `Ok(false)` if the product no longer exists.
    pub async fn set_recommended(
        &self,
        id: &ProductId,
        recommended: &[Recommendation],
        at: &str,
    ) -> Result<bool, StoreError> {
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::product(id))))
            .condition_expression("attribute_exists(pk)");
        let update = if recommended.is_empty() {
            update.update_expression("REMOVE recommended, recommended_at")
        } else {
            update
                .update_expression("SET recommended = :r, recommended_at = :at")
                .expression_attribute_values(":r", serde_dynamo::to_attribute_value(recommended)?)
                .expression_attribute_values(":at", s(at))
        };
        condition_held(
            update
                .send()
                .await
                .map_err(|e| StoreError::from_sdk("UpdateItem", e)),
        )
    }

    /// Current per-warehouse stock of a product (strongly consistent).
    pub async fn product_stock(&self, id: &ProductId) -> Result<Vec<StockItem>, StoreError> {
        let items = self
            .query_partition(None, &keys::product_partition(id), Some("STOCK#"), true)
            .await?;
        Ok(serde_dynamo::from_items(items)?)
    }

    /// Sets on-hand quantities for some warehouses and moves `stock_available` by the difference,
    /// in one transaction that fails if any quantity changed since `current` was read, a warehouse
    /// does not exist, or available stock would go below zero (units already reserved).
    pub async fn set_stock(
        &self,
        id: &ProductId,
        current: &[StockItem],
        new: &[(String, i64)],
        now: u64,
    ) -> Result<SetStock, StoreError> {
        let ts = crate::time::rfc3339(now);
        let mut actions = Vec::new();
        let mut delta = 0i64;
        for (wh, qty) in new {
            let old = current
                .iter()
                .find(|c| &c.warehouse_id == wh)
                .map(|c| c.quantity);
            delta += qty - old.unwrap_or(0);
            let item = StockItem::new(id, wh, *qty, &ts);
            let mut put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(serde_dynamo::to_item(&item)?));
            put = match old {
                Some(q) => put
                    .condition_expression("quantity = :old")
                    .expression_attribute_values(":old", n(q)),
                None => put.condition_expression("attribute_not_exists(pk)"),
            };
            actions.push(
                TransactWriteItem::builder()
                    .put(put.build().map_err(build_err)?)
                    .build(),
            );
            actions.push(
                TransactWriteItem::builder()
                    .condition_check(
                        ConditionCheck::builder()
                            .table_name(&self.table)
                            .set_key(Some(key_item(&keys::warehouse(wh))))
                            .condition_expression("attribute_exists(pk)")
                            .build()
                            .map_err(build_err)?,
                    )
                    .build(),
            );
        }
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::product(id))))
            .update_expression("ADD stock_available :delta SET updated_at = :ts")
            .expression_attribute_values(":delta", n(delta))
            .expression_attribute_values(":ts", s(&ts));
        update = if delta < 0 {
            update
                .condition_expression("attribute_exists(pk) AND stock_available >= :need")
                .expression_attribute_values(":need", n(-delta))
        } else {
            update.condition_expression("attribute_exists(pk)")
        };
        actions.push(
            TransactWriteItem::builder()
                .update(update.build().map_err(build_err)?)
                .build(),
        );
        let product_index = actions.len() - 1;
        let result = self.transact(actions).await;
        match result {
            Ok(_) => Ok(SetStock::Done { delta }),
            Err(e) => {
                for (i, (wh, _)) in new.iter().enumerate() {
                    if e.condition_failed_at(2 * i + 1) {
                        return Ok(SetStock::UnknownWarehouse(wh.clone()));
                    }
                }
                if (0..new.len()).any(|i| e.condition_failed_at(2 * i)) {
                    return Ok(SetStock::Conflict);
                }
                if e.condition_failed_at(product_index) {
                    return Ok(SetStock::BelowReserved);
                }
                Err(e)
            }
        }
    }

    /// The processing record of an uploaded image, if it was processed.
    pub async fn get_image_record(
        &self,
        p: &ProductId,
        i: &ImageId,
    ) -> Result<Option<ImageRecord>, StoreError> {
        self.get(&keys::product_image(p, i), true).await
    }

    /// Records an image's outcome once; a ready image is also added to its product, in the same
    /// transaction. `Ok(false)` if it was already recorded (a duplicate delivery) or the product is gone.
    pub async fn record_image(&self, record: &ImageRecord) -> Result<RecordImage, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(super::images::indexed(record)?))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(build_err)?;
        let mut actions = vec![TransactWriteItem::builder().put(put).build()];
        if record.status == ImageStatus::Ready {
            let image = ProductImage {
                image_id: record.image_id.clone(),
                variants: record.variants.clone(),
            };
            let update = Update::builder()
                .table_name(&self.table)
                .set_key(Some(key_item(&keys::product(&record.product_id))))
                .update_expression("SET images.#id = :img")
                .condition_expression("attribute_exists(pk)")
                .expression_attribute_names("#id", record.image_id.as_str())
                .expression_attribute_values(":img", serde_dynamo::to_attribute_value(&image)?)
                .build()
                .map_err(build_err)?;
            actions.push(TransactWriteItem::builder().update(update).build());
        }
        match self.transact(actions).await {
            Ok(_) => Ok(RecordImage::Recorded),
            Err(e) if e.condition_failed_at(0) => Ok(RecordImage::AlreadyRecorded),
            Err(e) if e.condition_failed_at(1) => Ok(RecordImage::ProductGone),
            Err(e) => Err(e),
        }
    }

    /// Writes an item unless one with its key exists (seeding). `Ok(false)` if it existed.
    pub async fn put_new<T: Serialize>(&self, item: &T) -> Result<bool, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(serde_dynamo::to_item(item)?))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("PutItem", e));
        condition_held(result)
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum CreateProduct {
    Created,
    Exists,
    UnknownCategory,
    UnknownBrand,
}

#[derive(Debug, PartialEq, Eq)]
pub enum SetStock {
    Done {
        delta: i64,
    },
    UnknownWarehouse(String),
    /// A quantity changed since it was read; read again and retry.
    Conflict,
    /// The new on-hand total is below what is already reserved by open orders.
    BelowReserved,
}

#[derive(Debug, PartialEq, Eq)]
pub enum RecordImage {
    Recorded,
    AlreadyRecorded,
    ProductGone,
}

#[cfg(test)]
mod sale_tests {
    use super::Pricing;

    #[test]
    fn a_sale_applies_from_its_start_until_before_its_end() {
        let p = Pricing {
            price: 2000,
            sale_price: Some(1500),
            sale_starts_at: Some(100),
            sale_ends_at: Some(200),
        };
        assert_eq!(p.price_at(99), 2000);
        assert_eq!(p.price_at(100), 1500, "from its start");
        assert_eq!(p.price_at(199), 1500);
        assert_eq!(p.price_at(200), 2000, "not at its end");
        let open = Pricing {
            sale_starts_at: None,
            sale_ends_at: None,
            ..p
        };
        assert_eq!((open.price_at(0), open.price_at(u64::MAX)), (1500, 1500));
        let none = Pricing {
            sale_price: None,
            ..p
        };
        assert_eq!(
            none.price_at(150),
            2000,
            "a window without a price is no sale"
        );
    }
}
