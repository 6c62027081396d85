//! What several HTTP functions answer: saved addresses (the address-book routes), the priced cart (every cart route and checkout) and the
//! product views (the catalog and the admin routes).

pub mod address_view;
pub mod cart_view;
pub mod discount_view;
pub mod order_view;
pub mod page;
pub mod product_view;
