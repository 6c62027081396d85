//! What several HTTP functions answer: the priced cart (every cart route and checkout) and the
//! product views (the catalog and the admin routes).

pub mod cart_view;
pub mod product_view;
