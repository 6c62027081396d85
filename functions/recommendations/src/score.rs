//! "Frequently bought together", from paid orders alone.
//!
//! For a product `a`, another product `b` scores `c(a,b) / sqrt(n(b))`: `c(a,b)` is the number
//! of paid orders holding both, `n(b)` the number holding `b`. Dividing by `sqrt(n(b))` damps
//! popularity, so a bestseller that is in every basket does not top every list, while a product
//! bought with `a` every time it is bought at all does. (For one `a` this orders candidates as the
//! cosine `c / sqrt(n(a) n(b))` does.) Ties go to more shared orders, then to the smaller id, and
//! scores are compared exactly (`c(a,b)^2 n(b') <=> c(a,b')^2 n(b)` in integers), so the same
//! orders give the same lists, in any order read.
//!
//! A product with fewer than [`TOP`] such neighbours is filled up with its category's
//! bestsellers (most paid orders in the window, then newest), never itself, never twice. Only
//! products active now are counted or recommended.

use ferrocart::ids::ProductId;
use ferrocart::store::catalog::{Recommendation, RecommendedBecause};
use std::collections::HashMap;

/// How many recommendations a product keeps.
pub const TOP: usize = 10;

/// Co-occurrence counts over a window's orders, by dense product number.
pub struct Counts {
    /// Active products: id and category, in id order (their numbers are positions here).
    products: Vec<(ProductId, String)>,
    number: HashMap<ProductId, u32>,
    /// Orders holding each product.
    orders: Vec<u32>,
    /// Orders holding both (the smaller number first).
    pairs: HashMap<(u32, u32), u32>,
    basket: Vec<u32>,
}

impl Counts {
    /// Counting over these products (active ones, with their categories).
    pub fn new(mut products: Vec<(ProductId, String)>) -> Self {
        products.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
        products.dedup_by(|a, b| a.0 == b.0);
        let number = products
            .iter()
            .enumerate()
            .map(|(i, (id, _))| (id.clone(), i as u32))
            .collect();
        Self {
            orders: vec![0; products.len()],
            products,
            number,
            pairs: HashMap::new(),
            basket: Vec::new(),
        }
    }

    /// One paid order's products (repeats and unknown products are ignored).
    pub fn add_order<'a>(&mut self, products: impl IntoIterator<Item = &'a ProductId>) {
        self.basket.clear();
        self.basket.extend(
            products
                .into_iter()
                .filter_map(|id| self.number.get(id).copied()),
        );
        self.basket.sort_unstable();
        self.basket.dedup();
        for (i, &a) in self.basket.iter().enumerate() {
            self.orders[a as usize] += 1;
            for &b in &self.basket[i + 1..] {
                *self.pairs.entry((a, b)).or_default() += 1;
            }
        }
    }

    /// Every product's list, by product id.
    pub fn recommend(&self) -> HashMap<ProductId, Vec<Recommendation>> {
        let n = self.products.len();
        let mut neighbours: Vec<Vec<(u32, u32)>> = vec![Vec::new(); n];
        for (&(a, b), &c) in &self.pairs {
            neighbours[a as usize].push((b, c));
            neighbours[b as usize].push((a, c));
        }
        let bestsellers = self.bestsellers_by_category();
        let mut out = HashMap::with_capacity(n);
        for (a, list) in neighbours.iter_mut().enumerate() {
            list.sort_unstable_by(|&(b1, c1), &(b2, c2)| {
                let s1 = u128::from(c1).pow(2) * u128::from(self.orders[b2 as usize]);
                let s2 = u128::from(c2).pow(2) * u128::from(self.orders[b1 as usize]);
                s2.cmp(&s1).then(c2.cmp(&c1)).then(b1.cmp(&b2))
            });
            let mut chosen: Vec<u32> = list.iter().take(TOP).map(|&(b, _)| b).collect();
            let together = chosen.len();
            let (id, category) = &self.products[a];
            if chosen.len() < TOP
                && let Some(fill) = bestsellers.get(category.as_str())
            {
                for &b in fill {
                    if chosen.len() == TOP {
                        break;
                    }
                    if b as usize != a && !chosen.contains(&b) {
                        chosen.push(b);
                    }
                }
            }
            let recs = chosen
                .iter()
                .enumerate()
                .map(|(i, &b)| Recommendation {
                    product_id: self.products[b as usize].0.clone(),
                    why: if i < together {
                        RecommendedBecause::BoughtTogether
                    } else {
                        RecommendedBecause::CategoryBestseller
                    },
                })
                .collect();
            out.insert(id.clone(), recs);
        }
        out
    }

    /// Each category's products, most ordered first, then newest (ids are time-ordered).
    fn bestsellers_by_category(&self) -> HashMap<&str, Vec<u32>> {
        let mut by: HashMap<&str, Vec<u32>> = HashMap::new();
        for (i, (_, category)) in self.products.iter().enumerate() {
            by.entry(category.as_str()).or_default().push(i as u32);
        }
        for list in by.values_mut() {
            list.sort_unstable_by(|&a, &b| {
                self.orders[b as usize]
                    .cmp(&self.orders[a as usize])
                    .then(b.cmp(&a))
            });
        }
        by
    }

    /// Orders holding `id` in the window (0 for a product not counted).
    pub fn orders_of(&self, id: &ProductId) -> u32 {
        self.number.get(id).map_or(0, |&i| self.orders[i as usize])
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn id(n: u32) -> ProductId {
        ProductId::parse(&format!("01900000-0000-7000-8000-{n:012}")).unwrap()
    }

    fn ids(recs: &[Recommendation]) -> Vec<(u32, RecommendedBecause)> {
        recs.iter()
            .map(|r| {
                let n = r.product_id.as_str()[24..].parse().unwrap();
                (n, r.why)
            })
            .collect()
    }

    use RecommendedBecause::{BoughtTogether as T, CategoryBestseller as B};

    #[test]
    fn popularity_is_damped_and_ties_are_stable() {
        // 1 is bought with 2 twice and with 3 three times, but 3 (a bestseller) is in 12
        // orders and 2 in only 2: 2/sqrt(2) = 1.41 beats 3/sqrt(12) = 0.87.
        let mut c = Counts::new((1..=5).map(|n| (id(n), "k".to_string())).collect());
        for _ in 0..2 {
            c.add_order(&[id(1), id(2)]);
        }
        for _ in 0..3 {
            c.add_order(&[id(1), id(3), id(3)]);
        }
        for _ in 0..9 {
            c.add_order(&[id(3), id(4)]);
        }
        // an archived product's lines count for nothing
        c.add_order(&[id(1), id(99)]);
        let recs = c.recommend();
        assert_eq!(ids(&recs[&id(1)]), vec![(2, T), (3, T), (4, B), (5, B)]);
        // 3: 4 (9 of 9 orders: 81/9) before 1 (3 of 6: 9/6); then the fill
        assert_eq!(ids(&recs[&id(3)]), vec![(4, T), (1, T), (2, B), (5, B)]);
        // no history at all: the category's bestsellers (3: 12, 4: 9, 1: 6, 2: 2)
        assert_eq!(ids(&recs[&id(5)]), vec![(3, B), (4, B), (1, B), (2, B)]);
        assert_eq!(c.orders_of(&id(3)), 12);
    }

    #[test]
    fn the_same_orders_in_any_order_give_the_same_lists_capped_at_ten() {
        let products: Vec<_> = (1..=30).map(|n| (id(n), format!("c{}", n % 2))).collect();
        let orders: Vec<Vec<ProductId>> = (0..200u32)
            .map(|o| {
                (0..4)
                    .map(|k| id(1 + (o * 7 + k * k * 3 + o % 5) % 30))
                    .collect()
            })
            .collect();
        let mut forward = Counts::new(products.clone());
        orders.iter().for_each(|o| forward.add_order(o));
        let mut backward = Counts::new(products.into_iter().rev().collect());
        orders.iter().rev().for_each(|o| backward.add_order(o));
        let (f, b) = (forward.recommend(), backward.recommend());
        assert_eq!(f, b);
        assert_eq!(f.len(), 30);
        for (p, recs) in &f {
            assert_eq!(recs.len(), TOP, "{p}");
            assert!(recs.iter().all(|r| &r.product_id != p));
            let mut seen: Vec<_> = recs.iter().map(|r| r.product_id.clone()).collect();
            seen.sort_by(|a, b| a.as_str().cmp(b.as_str()));
            seen.dedup();
            assert_eq!(seen.len(), TOP);
        }
    }

    #[test]
    fn categories_fill_only_from_themselves() {
        let mut c = Counts::new(vec![
            (id(1), "a".into()),
            (id(2), "a".into()),
            (id(3), "b".into()),
        ]);
        c.add_order(&[id(3)]);
        let recs = c.recommend();
        assert_eq!(ids(&recs[&id(1)]), vec![(2, B)]);
        assert!(recs[&id(3)].is_empty());
    }
}
