//! Demo data for the local stack, safe to re-run: existing records are left as they are.

use anyhow::{Result, anyhow};
use ferrocart::auth::{Role, password};
use ferrocart::store::Store;
use ferrocart::store::users::{CreateUser, UserItem};

/// Local-only demo accounts (documented in README.md). Never seeded outside the local stack.
pub const DEMO_ADMIN: (&str, &str) = ("admin@ferrocart.local", "ferrocart-admin-demo");
pub const DEMO_CUSTOMER: (&str, &str) = ("shopper@ferrocart.local", "ferrocart-shopper-demo");

/// Creates the user if the email is free, then makes sure it has `role`. Returns whether it was created.
pub async fn ensure_user(
    store: &Store,
    email: &str,
    pass: &str,
    name: &str,
    role: Role,
) -> Result<bool> {
    let email = ferrocart::validate::normalise_email(email).map_err(|e| anyhow!("{e}"))?;
    ferrocart::validate::password(pass).map_err(|e| anyhow!("{e}"))?;
    let hash = password::hash(pass.to_string()).await?;
    let user = UserItem::new(
        email.clone(),
        Some(name.into()),
        None,
        role,
        hash,
        ferrocart::time::now_unix(),
    );
    let created = store.create_user(&user).await? == CreateUser::Created;
    let existing = store
        .find_user_by_email(&email)
        .await?
        .ok_or_else(|| anyhow!("user {email} vanished"))?;
    if existing.role != role {
        store.set_role(&existing.user_id, role).await?;
    }
    Ok(created)
}

/// The demo shipping zones and options (`infra/demo-shipping.json`): the UK, the EU and the rest
/// of the world, each option priced in EUR and GBP (and USD abroad).
pub const DEMO_SHIPPING: &str = include_str!("../../demo-shipping.json");

/// Stores the demo shipping configuration unless the shop has one (an admin's is never replaced).
pub async fn ensure_shipping(store: &Store) -> Result<bool> {
    let config: ferrocart::selling::shipping::ShippingConfig = serde_json::from_str(DEMO_SHIPPING)?;
    config
        .check()
        .map_err(|(field, msg)| anyhow!("demo shipping config: {field}: {msg}"))?;
    let saved = store
        .put_shipping_config(&config, 0, ferrocart::time::now_unix())
        .await?;
    Ok(matches!(
        saved,
        ferrocart::store::selling::Saved::Saved { .. }
    ))
}

/// The demo discount code: 10 % off everything, no limits (the README's walk-through and the
/// journey use it).
pub const DEMO_DISCOUNT: &str = "WELCOME10";

/// Creates the demo discount code unless a code of that name exists (an admin's is kept).
pub async fn ensure_discount(store: &Store) -> Result<bool> {
    use ferrocart::selling::discount::{DiscountRules, Saving};
    use ferrocart::store::discounts::{DiscountItem, DiscountSaved};
    let rules = DiscountRules {
        saving: Saving::Percent { percent: 10 },
        currency: None,
        min_subtotal: None,
        starts_at: None,
        ends_at: None,
        max_uses: None,
        max_uses_per_customer: None,
        product_ids: vec![],
        categories: vec![],
        active: true,
    };
    let item = DiscountItem::new(DEMO_DISCOUNT, rules, ferrocart::time::now_unix());
    Ok(matches!(
        store.create_discount(&item).await?,
        DiscountSaved::Saved(_)
    ))
}

/// The demo catalog and shipping options, and the demo accounts and discount code if `accounts`
/// (the local stack only).
pub async fn seed(store: &Store, accounts: bool) -> Result<()> {
    let (created, total) = catalog::seed(store).await?;
    crate::log::say!(
        "[seed] demo catalog: {created} of {total} products created (the rest existed)"
    );
    let shipping = ensure_shipping(store).await?;
    crate::log::say!(
        "[seed] demo shipping zones: {}",
        if shipping {
            "created"
        } else {
            "kept (the shop has its own)"
        }
    );
    if !accounts {
        return Ok(());
    }
    let a = ensure_user(store, DEMO_ADMIN.0, DEMO_ADMIN.1, "Demo Admin", Role::Admin).await?;
    let c = ensure_user(
        store,
        DEMO_CUSTOMER.0,
        DEMO_CUSTOMER.1,
        "Demo Shopper",
        Role::Customer,
    )
    .await?;
    let d = ensure_discount(store).await?;
    crate::log::say!(
        "[seed] demo discount code {DEMO_DISCOUNT} ({})",
        if d { "created" } else { "kept" }
    );
    crate::log::say!(
        "[seed] demo admin {} ({}), demo customer {} ({})",
        DEMO_ADMIN.0,
        if a { "created" } else { "kept" },
        DEMO_CUSTOMER.0,
        if c { "created" } else { "kept" }
    );
    Ok(())
}

/// The demo catalog: 8 categories, 6 brands, 3 warehouses, 208 products (204 active, 4 drafts),
/// stock per warehouse. Ids are fixed, so a re-run finds what exists and leaves it alone
/// (stock and prices changed since are kept).
pub mod catalog {
    use anyhow::Result;
    use ferrocart::ids::ProductId;
    use ferrocart::store::Store;
    use ferrocart::store::catalog::{
        BrandItem, CategoryItem, NewProduct, ProductItem, ProductStatus, StockItem, WarehouseItem,
    };
    use futures::StreamExt;

    pub const CATEGORIES: [(&str, &str, [&str; 13]); 8] = [
        (
            "kitchen",
            "Kitchen",
            [
                "Kettle",
                "Toaster",
                "Chef's Knife",
                "Cutting Board",
                "Saucepan",
                "Frying Pan",
                "Colander",
                "Whisk",
                "Spatula",
                "Teapot",
                "Mixing Bowl",
                "Grater",
                "Pepper Mill",
            ],
        ),
        (
            "garden",
            "Garden",
            [
                "Hose",
                "Trowel",
                "Pruner",
                "Watering Can",
                "Rake",
                "Planter",
                "Gloves",
                "Kneeler",
                "Sprinkler",
                "Bird Feeder",
                "Wheelbarrow",
                "Shears",
                "Seed Tray",
            ],
        ),
        (
            "office",
            "Office",
            [
                "Notebook",
                "Desk Lamp",
                "Stapler",
                "Fountain Pen",
                "Desk Organiser",
                "Monitor Stand",
                "Paper Tray",
                "Whiteboard",
                "Letter Opener",
                "Bookend",
                "Pencil Case",
                "Planner",
                "Mouse Pad",
            ],
        ),
        (
            "outdoor",
            "Outdoor",
            [
                "Tent",
                "Sleeping Bag",
                "Headlamp",
                "Camping Stove",
                "Water Bottle",
                "Backpack",
                "Compass",
                "Hammock",
                "Lantern",
                "Trekking Pole",
                "Cooler",
                "Camp Chair",
                "Dry Bag",
            ],
        ),
        (
            "bath",
            "Bath",
            [
                "Towel",
                "Bath Mat",
                "Soap Dish",
                "Shower Caddy",
                "Toothbrush Holder",
                "Robe",
                "Loofah",
                "Mirror",
                "Laundry Basket",
                "Tumbler",
                "Bath Brush",
                "Hand Towel",
                "Scale",
            ],
        ),
        (
            "lighting",
            "Lighting",
            [
                "Floor Lamp",
                "Pendant",
                "Table Lamp",
                "String Lights",
                "Wall Sconce",
                "Night Light",
                "Reading Lamp",
                "Candle Holder",
                "LED Strip",
                "Lamp Shade",
                "Torch",
                "Spotlight",
                "Bulb Set",
            ],
        ),
        (
            "textiles",
            "Textiles",
            [
                "Throw",
                "Cushion",
                "Duvet",
                "Pillowcase",
                "Rug",
                "Curtain",
                "Tablecloth",
                "Napkin Set",
                "Blanket",
                "Apron",
                "Tea Towel",
                "Runner",
                "Quilt",
            ],
        ),
        (
            "storage",
            "Storage",
            [
                "Basket",
                "Crate",
                "Shelf",
                "Box Set",
                "Hook Rail",
                "Drawer Divider",
                "Jar Set",
                "Wardrobe Bag",
                "Shoe Rack",
                "Coat Stand",
                "Bin",
                "Trunk",
                "Caddy",
            ],
        ),
    ];
    pub const BRANDS: [(&str, &str); 6] = [
        ("northwind", "Northwind"),
        ("fjord", "Fjord & Co"),
        ("oakline", "Oakline"),
        ("brightside", "Brightside"),
        ("tern", "Tern"),
        ("mosaic", "Mosaic"),
    ];
    pub const WAREHOUSES: [(&str, &str, &str, u32); 3] = [
        ("ams-1", "Amsterdam", "NL", 1),
        ("lon-1", "London", "GB", 2),
        ("ber-1", "Berlin", "DE", 3),
    ];
    const STYLES: [&str; 2] = ["Classic", "Studio"];

    /// The fixed id of demo product `n`.
    pub fn product_id(n: u32) -> ProductId {
        let u = uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 | n as u128);
        ProductId::parse(&u.to_string()).expect("a uuid")
    }

    fn pseudo(n: u32, salt: u32) -> u32 {
        // A small deterministic mix, so prices and stock look varied but never change between runs.
        let mut x = n.wrapping_mul(2_654_435_761) ^ salt.wrapping_mul(40_503);
        x ^= x >> 13;
        x = x.wrapping_mul(1_274_126_177);
        x ^ (x >> 16)
    }

    pub async fn seed(store: &Store) -> Result<(usize, usize)> {
        for (i, (slug, name, _)) in CATEGORIES.iter().enumerate() {
            store
                .put_new(&CategoryItem::new(slug, name, i as u32 + 1))
                .await?;
        }
        for (slug, name) in BRANDS {
            store.put_new(&BrandItem::new(slug, name)).await?;
        }
        for (id, name, country, priority) in WAREHOUSES {
            store
                .put_new(&WarehouseItem::new(id, name, country, priority))
                .await?;
        }
        let mut products = Vec::new();
        let mut n = 0u32;
        for (slug, _, nouns) in CATEGORIES {
            for style in STYLES {
                for noun in nouns {
                    products.push((n, slug, format!("{style} {noun}")));
                    n += 1;
                }
            }
        }
        let now = ferrocart::time::now_unix();
        let results: Vec<Result<bool>> =
            futures::stream::iter(products.into_iter().map(|(n, category, name)| async move {
                let id = product_id(n);
                let brand = BRANDS[(pseudo(n, 1) % BRANDS.len() as u32) as usize].0;
                let status = if n % 52 == 51 {
                    ProductStatus::Draft
                } else {
                    ProductStatus::Active
                };
                // Most products well stocked, some low, some sold out.
                let stock: Vec<i64> = WAREHOUSES
                    .iter()
                    .enumerate()
                    .map(|(w, _)| match pseudo(n, 7 + w as u32) % 10 {
                        0 => 0,
                        1 => 1,
                        _ => (pseudo(n, 20 + w as u32) % 60) as i64,
                    })
                    .collect();
                let mut product = ProductItem::new(
                    id.clone(),
                    NewProduct {
                        description: format!(
                            "The {name} from {}: a demo product for the Ferrocart local stack.",
                            BRANDS
                                .iter()
                                .find(|b| b.0 == brand)
                                .map(|b| b.1)
                                .unwrap_or(brand)
                        ),
                        name,
                        category: category.to_string(),
                        brand: brand.to_string(),
                        price: 299 + (pseudo(n, 3) % 300) as i64 * 50,
                        currency: "EUR".into(),
                        weight_grams: 150 + (pseudo(n, 5) % 60) * 80,
                        tax_class: Default::default(),
                        status,
                    },
                    now,
                );
                product.stock_available = stock.iter().sum();
                if !store.put_new(&product).await? {
                    return Ok(false);
                }
                for ((wh, ..), qty) in WAREHOUSES.iter().zip(stock) {
                    store
                        .put_new(&StockItem::new(&id, wh, qty, &product.created_at))
                        .await?;
                }
                Ok(true)
            }))
            .buffer_unordered(16)
            .collect()
            .await;
        let mut created = 0;
        for r in &results {
            if *r.as_ref().map_err(|e| anyhow::anyhow!("{e}"))? {
                created += 1;
            }
        }
        Ok((created, results.len()))
    }
}
