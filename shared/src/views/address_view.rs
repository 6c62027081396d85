//! A saved address as every address-book route answers it.

use crate::store::addresses::{AddressBook, AddressItem, MAX_ADDRESSES};
use crate::store::orders::Address;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct AddressView<'a> {
    pub id: &'a str,
    #[serde(flatten)]
    pub address: &'a Address,
    /// The default shipping address (at most one per book).
    pub default: bool,
    pub created_at: &'a str,
    pub updated_at: &'a str,
}

impl<'a> AddressView<'a> {
    pub fn of(item: &'a AddressItem, default: bool) -> Self {
        Self {
            id: item.address_id.as_str(),
            address: &item.address,
            default,
            created_at: &item.created_at,
            updated_at: &item.updated_at,
        }
    }
}

/// `GET /me/addresses`: the default first, then the others oldest first.
#[derive(Debug, Serialize)]
pub struct BookView<'a> {
    pub addresses: Vec<AddressView<'a>>,
    pub default_address_id: Option<&'a str>,
    /// How many addresses the book may hold.
    pub limit: u32,
}

impl<'a> BookView<'a> {
    pub fn of(book: &'a AddressBook) -> Self {
        let is_default = |a: &AddressItem| book.default_id.as_ref() == Some(&a.address_id);
        let mut addresses: Vec<AddressView> = book
            .addresses
            .iter()
            .map(|a| AddressView::of(a, is_default(a)))
            .collect();
        addresses.sort_by_key(|a| !a.default);
        Self {
            addresses,
            default_address_id: book.default_id.as_ref().map(|d| d.as_str()),
            limit: MAX_ADDRESSES,
        }
    }
}
