//! A customer's address book: a head item (`ADDRESSES#<user>` / `BOOK`: how many addresses, which
//! one is the default shipping address) and one item per address in the same partition, so one
//! Query reads the whole book. The limit of [`MAX_ADDRESSES`] and the one default are kept by the
//! head item, written in the same transaction as every address it counts.

use super::orders::Address;
use super::users::build_err;
use super::{Store, StoreError, key_item, n, s};
use crate::ids::{AddressId, UserId};
use crate::keys;
use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};

pub const ADDRESS_ENTITY: &str = "Address";
pub const BOOK_ENTITY: &str = "AddressBook";

/// How many addresses one customer may keep.
pub const MAX_ADDRESSES: u32 = 20;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AddressItem {
    pub pk: String,
    pub sk: String,
    pub entity: String,
    pub address_id: AddressId,
    pub user_id: UserId,
    pub address: Address,
    pub created_at: String,
    pub updated_at: String,
    /// Raised by every change; each write is conditioned on the version it read.
    pub version: u64,
}

impl AddressItem {
    pub fn new(user: &UserId, id: AddressId, address: Address, now: u64) -> Self {
        let k = keys::address(user, &id);
        let at = crate::time::rfc3339(now);
        Self {
            pk: k.pk,
            sk: k.sk,
            entity: ADDRESS_ENTITY.into(),
            address_id: id,
            user_id: user.clone(),
            address,
            created_at: at.clone(),
            updated_at: at,
            version: 1,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct BookItem {
    #[serde(default)]
    count: u32,
    #[serde(default)]
    default_id: Option<AddressId>,
}

/// The whole book: its addresses (oldest first) and the default's id.
#[derive(Debug, Clone, Default)]
pub struct AddressBook {
    pub default_id: Option<AddressId>,
    pub addresses: Vec<AddressItem>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum AddAddress {
    Added,
    /// The book holds [`MAX_ADDRESSES`] already; nothing was written.
    BookFull,
    /// An address with this id exists (a retried save): nothing was written.
    Exists,
}

/// What an update does to the book's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultChange {
    Keep,
    /// Make this address the default.
    Set,
    /// Make it not the default (no default is left) if it is one.
    Unset,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Changed {
    Done,
    /// The address does not exist (any more).
    Gone,
    /// The address or the book changed since it was read: read again and retry.
    Conflict,
}

impl Store {
    /// The customer's whole book (consistent: a client reads what it just wrote).
    pub async fn address_book(&self, user: &UserId) -> Result<AddressBook, StoreError> {
        let items = self
            .query_partition(None, &keys::address_partition(user), None, true)
            .await?;
        let mut book = AddressBook::default();
        for item in items {
            let entity = item.get("entity").and_then(|v| v.as_s().ok());
            match entity.map(String::as_str) {
                Some(ADDRESS_ENTITY) => book.addresses.push(serde_dynamo::from_item(item)?),
                Some(BOOK_ENTITY) => {
                    book.default_id = serde_dynamo::from_item::<_, BookItem>(item)?.default_id;
                }
                _ => {}
            }
        }
        Ok(book)
    }

    /// The book's default address id, if any (one consistent read of the head).
    pub async fn default_address_id(&self, user: &UserId) -> Result<Option<AddressId>, StoreError> {
        Ok(self
            .get::<BookItem>(&keys::address_book(user), true)
            .await?
            .and_then(|b| b.default_id))
    }

    pub async fn get_address(
        &self,
        user: &UserId,
        id: &AddressId,
    ) -> Result<Option<AddressItem>, StoreError> {
        self.get(&keys::address(user, id), true).await
    }

    /// Adds `item` to its customer's book, counted against [`MAX_ADDRESSES`] in the same
    /// transaction. It becomes the default if `make_default`, or if the book has none (so the
    /// first address saved is the default).
    pub async fn add_address(
        &self,
        item: &AddressItem,
        make_default: bool,
    ) -> Result<AddAddress, StoreError> {
        let default_expr = if make_default {
            "default_id = :id"
        } else {
            "default_id = if_not_exists(default_id, :id)"
        };
        let book = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::address_book(&item.user_id))))
            .update_expression(format!(
                "SET #count = if_not_exists(#count, :zero) + :one, entity = :entity, {default_expr}"
            ))
            .condition_expression("attribute_not_exists(#count) OR #count < :max")
            .expression_attribute_names("#count", "count")
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":max", n(MAX_ADDRESSES))
            .expression_attribute_values(":entity", s(BOOK_ENTITY))
            .expression_attribute_values(":id", s(item.address_id.as_str()))
            .build()
            .map_err(build_err)?;
        let actions = vec![
            self.tx_put(item, "attribute_not_exists(pk)")?,
            TransactWriteItem::builder().update(book).build(),
        ];
        match self.transact_retrying_conflicts(actions).await {
            Ok(()) => Ok(AddAddress::Added),
            Err(e) if e.condition_failed_at(0) => Ok(AddAddress::Exists),
            Err(e) if e.condition_failed_at(1) => Ok(AddAddress::BookFull),
            Err(e) => Err(e),
        }
    }

    /// Replaces an address with `item` (its version raised by the caller) if it is still at
    /// `expected_version`, and changes the book's default as asked; `current_default` is the
    /// default the caller read, and the book is written only if it is still that.
    pub async fn update_address(
        &self,
        item: &AddressItem,
        expected_version: u64,
        change: DefaultChange,
        current_default: Option<&AddressId>,
    ) -> Result<Changed, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(serde_dynamo::to_item(item)?))
            .condition_expression("version = :v")
            .expression_attribute_values(":v", n(expected_version))
            .build()
            .map_err(build_err)?;
        let mut actions = vec![TransactWriteItem::builder().put(put).build()];
        let is_default = current_default == Some(&item.address_id);
        let book_update = match change {
            DefaultChange::Set if !is_default => Some("SET default_id = :id"),
            DefaultChange::Unset if is_default => Some("REMOVE default_id"),
            _ => None,
        };
        if let Some(expr) = book_update {
            actions.push(self.tx_book(&item.user_id, expr, &item.address_id, current_default)?);
        }
        match self.transact_retrying_conflicts(actions).await {
            Ok(()) => Ok(Changed::Done),
            Err(e) if e.condition_failed_at(0) || e.condition_failed_at(1) => Ok(Changed::Conflict),
            Err(e) => Err(e),
        }
    }

    /// Deletes an address and uncounts it; if it was the default (`current_default`, as the caller
    /// read it) the book is left with none.
    pub async fn delete_address(
        &self,
        user: &UserId,
        id: &AddressId,
        current_default: Option<&AddressId>,
    ) -> Result<Changed, StoreError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::address(user, id))))
            .condition_expression("attribute_exists(pk)")
            .build()
            .map_err(build_err)?;
        let expr = if current_default == Some(id) {
            "SET #count = #count - :one REMOVE default_id"
        } else {
            "SET #count = #count - :one"
        };
        let actions = vec![
            TransactWriteItem::builder().delete(delete).build(),
            self.tx_book(user, expr, id, current_default)?,
        ];
        match self.transact_retrying_conflicts(actions).await {
            Ok(()) => Ok(Changed::Done),
            Err(e) if e.condition_failed_at(0) => Ok(Changed::Gone),
            Err(e) if e.condition_failed_at(1) => Ok(Changed::Conflict),
            Err(e) => Err(e),
        }
    }

    /// An update of the book's head, conditioned on the default being still `current_default`.
    fn tx_book(
        &self,
        user: &UserId,
        expr: &str,
        id: &AddressId,
        current_default: Option<&AddressId>,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::address_book(user))))
            .update_expression(expr);
        if expr.contains("#count") {
            update = update
                .expression_attribute_names("#count", "count")
                .expression_attribute_values(":one", n(1));
        }
        if expr.contains(":id") {
            update = update.expression_attribute_values(":id", s(id.as_str()));
        }
        update = match current_default {
            Some(d) => update
                .condition_expression("default_id = :was")
                .expression_attribute_values(":was", s(d.as_str())),
            None => update
                .condition_expression("attribute_exists(pk) AND attribute_not_exists(default_id)"),
        };
        Ok(TransactWriteItem::builder()
            .update(update.build().map_err(build_err)?)
            .build())
    }
}
