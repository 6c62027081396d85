//! The shop's selling configuration (`crate::selling`): the shipping document and the tax
//! settings, two items of the `SHOP` partition read together by one Query (eventually
//! consistent: an admin's change reaches checkout within a second or so).

use super::{Store, StoreError, condition_held};
use crate::keys;
use crate::selling::SellingConfig;
use crate::selling::shipping::ShippingConfig;
use crate::selling::tax::TaxSettings;
use serde::{Deserialize, Serialize};

/// `SHOP` / `SHIPPING`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShippingItem {
    pub pk: String,
    pub sk: String,
    pub entity: String,
    pub zones: Vec<crate::selling::shipping::Zone>,
    pub version: u64,
    pub updated_at: String,
}

/// `SHOP` / `TAX`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TaxItem {
    pub pk: String,
    pub sk: String,
    pub entity: String,
    #[serde(flatten)]
    pub settings: TaxSettings,
    pub version: u64,
    pub updated_at: String,
}

#[derive(Debug, Deserialize)]
struct AnyShopItem {
    sk: String,
}

/// A versioned write's outcome.
#[derive(Debug, PartialEq, Eq)]
pub enum Saved {
    Saved {
        version: u64,
    },
    /// The stored version is not the one the writer read.
    VersionConflict,
}

impl Store {
    /// The selling configuration with the versions stored (0 for an item never written: no
    /// shipping zones, the default tax settings).
    pub async fn selling_config(&self) -> Result<(SellingConfig, u64, u64), StoreError> {
        let items = self
            .query_partition(None, keys::SHOP_PARTITION, None, false)
            .await?;
        let mut config = SellingConfig::default();
        let (mut shipping_version, mut tax_version) = (0, 0);
        for item in items {
            let any: AnyShopItem = serde_dynamo::from_item(item.clone())?;
            if any.sk == keys::shipping_config().sk {
                let s: ShippingItem = serde_dynamo::from_item(item)?;
                shipping_version = s.version;
                config.shipping = ShippingConfig { zones: s.zones };
            } else if any.sk == keys::tax_settings().sk {
                let t: TaxItem = serde_dynamo::from_item(item)?;
                tax_version = t.version;
                config.tax = t.settings;
            }
        }
        Ok((config, shipping_version, tax_version))
    }

    /// Replaces the shipping document if it is still at `expected` (0: never written).
    pub async fn put_shipping_config(
        &self,
        config: &ShippingConfig,
        expected: u64,
        now: u64,
    ) -> Result<Saved, StoreError> {
        let k = keys::shipping_config();
        let item = ShippingItem {
            pk: k.pk,
            sk: k.sk,
            entity: "ShippingConfig".into(),
            zones: config.zones.clone(),
            version: expected + 1,
            updated_at: crate::time::rfc3339(now),
        };
        self.put_versioned(&item, expected).await
    }

    /// Replaces the tax settings if they are still at `expected` (0: never written).
    pub async fn put_tax_settings(
        &self,
        settings: TaxSettings,
        expected: u64,
        now: u64,
    ) -> Result<Saved, StoreError> {
        let k = keys::tax_settings();
        let item = TaxItem {
            pk: k.pk,
            sk: k.sk,
            entity: "TaxSettings".into(),
            settings,
            version: expected + 1,
            updated_at: crate::time::rfc3339(now),
        };
        self.put_versioned(&item, expected).await
    }

    async fn put_versioned<T: Serialize>(
        &self,
        item: &T,
        expected: u64,
    ) -> Result<Saved, StoreError> {
        let condition = if expected == 0 {
            "attribute_not_exists(pk)"
        } else {
            "version = :v"
        };
        let mut put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(serde_dynamo::to_item(item)?))
            .condition_expression(condition);
        if expected > 0 {
            put = put.expression_attribute_values(":v", super::n(expected));
        }
        let result = put
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("PutItem", e));
        Ok(if condition_held(result)? {
            Saved::Saved {
                version: expected + 1,
            }
        } else {
            Saved::VersionConflict
        })
    }
}
