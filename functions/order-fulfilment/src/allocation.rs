//! Which warehouse ships what: **fewest shipments first**, then warehouse priority.
//!
//! 1. The smallest set of warehouses whose on-hand stock covers every line wins (one parcel beats
//!    two, whatever the priorities). Among sets of the same size, the one with the best
//!    priorities wins (compared warehouse by warehouse, best first).
//! 2. Inside that set, each line ships whole from the best-priority warehouse that has all of it;
//!    only a line no single member can cover is split, best priority first.
//!
//! The set is found exactly for up to [`EXACT_SEARCH_MAX`] warehouses (at most 2^12 candidate
//! sets, microseconds); beyond that a greedy cover (most units covered first) is used.

use ferrocart::ids::ProductId;
use std::collections::HashMap;

pub const EXACT_SEARCH_MAX: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warehouse {
    pub id: String,
    /// Lower ships first.
    pub priority: u32,
}

/// Units of one product the order needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    pub product: ProductId,
    pub quantity: i64,
}

/// What one warehouse ships: (product, units), in the order of the needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parcel {
    pub warehouse: String,
    pub items: Vec<(ProductId, i64)>,
}

/// On-hand units by (product, warehouse id).
pub type OnHand = HashMap<(ProductId, String), i64>;

/// The parcels for `needs`, in warehouse-priority order, or `None` if the warehouses together do
/// not hold enough of some product.
pub fn allocate(needs: &[Need], warehouses: &[Warehouse], on_hand: &OnHand) -> Option<Vec<Parcel>> {
    let mut ws: Vec<&Warehouse> = warehouses.iter().collect();
    ws.sort_by(|a, b| (a.priority, &a.id).cmp(&(b.priority, &b.id)));
    let have = |p: &ProductId, w: &Warehouse| {
        on_hand
            .get(&(p.clone(), w.id.clone()))
            .copied()
            .unwrap_or(0)
            .max(0)
    };
    let covers = |set: &[usize]| {
        needs
            .iter()
            .all(|n| set.iter().map(|&i| have(&n.product, ws[i])).sum::<i64>() >= n.quantity)
    };
    let chosen: Vec<usize> = if needs.is_empty() {
        Vec::new()
    } else if ws.len() <= EXACT_SEARCH_MAX {
        (1..=ws.len()).find_map(|k| {
            // Combinations in lexicographic order of priority rank: the first that covers is the
            // best-priority set of this size.
            let mut idx: Vec<usize> = (0..k).collect();
            loop {
                if covers(&idx) {
                    return Some(idx);
                }
                let i = (0..k).rev().find(|&i| idx[i] < ws.len() - k + i)?;
                idx[i] += 1;
                for j in i + 1..k {
                    idx[j] = idx[j - 1] + 1;
                }
            }
        })?
    } else {
        greedy_cover(needs, &ws, &have)?
    };

    let mut parcels: Vec<Parcel> = chosen
        .iter()
        .map(|&i| Parcel {
            warehouse: ws[i].id.clone(),
            items: Vec::new(),
        })
        .collect();
    for n in needs {
        if let Some(slot) = chosen
            .iter()
            .position(|&i| have(&n.product, ws[i]) >= n.quantity)
        {
            parcels[slot].items.push((n.product.clone(), n.quantity));
            continue;
        }
        let mut left = n.quantity;
        for (slot, &i) in chosen.iter().enumerate() {
            let take = have(&n.product, ws[i]).min(left);
            if take > 0 {
                parcels[slot].items.push((n.product.clone(), take));
                left -= take;
            }
        }
        if left > 0 {
            return None;
        }
    }
    parcels.retain(|p| !p.items.is_empty());
    Some(parcels)
}

fn greedy_cover(
    needs: &[Need],
    ws: &[&Warehouse],
    have: &impl Fn(&ProductId, &Warehouse) -> i64,
) -> Option<Vec<usize>> {
    let mut left: Vec<i64> = needs.iter().map(|n| n.quantity).collect();
    let mut chosen = Vec::new();
    while left.iter().any(|&l| l > 0) {
        let (best, gain) = (0..ws.len())
            .filter(|i| !chosen.contains(i))
            .map(|i| {
                let gain: i64 = needs
                    .iter()
                    .zip(&left)
                    .map(|(n, &l)| have(&n.product, ws[i]).min(l))
                    .sum();
                (i, gain)
            })
            // Most units first; among equals the best priority (lowest index).
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))?;
        if gain == 0 {
            return None;
        }
        for (n, l) in needs.iter().zip(left.iter_mut()) {
            *l -= have(&n.product, ws[best]).min(*l);
        }
        chosen.push(best);
    }
    chosen.sort_unstable();
    Some(chosen)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn p(n: u8) -> ProductId {
        ProductId::parse(&format!("01900000-0000-7000-8000-0000000000{n:02x}")).unwrap()
    }
    fn wh(id: &str, priority: u32) -> Warehouse {
        Warehouse {
            id: id.into(),
            priority,
        }
    }
    fn stock(rows: &[(u8, &str, i64)]) -> OnHand {
        rows.iter()
            .map(|(n, w, q)| ((p(*n), w.to_string()), *q))
            .collect()
    }
    fn need(rows: &[(u8, i64)]) -> Vec<Need> {
        rows.iter()
            .map(|(n, q)| Need {
                product: p(*n),
                quantity: *q,
            })
            .collect()
    }
    fn shape(parcels: &[Parcel]) -> Vec<(String, Vec<(u8, i64)>)> {
        parcels
            .iter()
            .map(|pa| {
                let items = pa
                    .items
                    .iter()
                    .map(|(prod, q)| {
                        let n = (1..=255u8).find(|n| &p(*n) == prod).unwrap();
                        (n, *q)
                    })
                    .collect();
                (pa.warehouse.clone(), items)
            })
            .collect()
    }
    fn three() -> Vec<Warehouse> {
        vec![wh("ams-1", 1), wh("lon-1", 2), wh("ber-1", 3)]
    }

    #[test]
    fn best_priority_warehouse_that_has_everything() {
        let on_hand = stock(&[
            (1, "ams-1", 5),
            (2, "ams-1", 5),
            (1, "lon-1", 9),
            (2, "lon-1", 9),
        ]);
        let got = allocate(&need(&[(1, 2), (2, 3)]), &three(), &on_hand).unwrap();
        assert_eq!(shape(&got), vec![("ams-1".into(), vec![(1, 2), (2, 3)])]);
    }

    #[test]
    fn one_parcel_beats_priority() {
        // ams-1 (best priority) has only product 1; ber-1 has both: one parcel from ber-1.
        let on_hand = stock(&[(1, "ams-1", 5), (1, "ber-1", 5), (2, "ber-1", 5)]);
        let got = allocate(&need(&[(1, 1), (2, 1)]), &three(), &on_hand).unwrap();
        assert_eq!(shape(&got), vec![("ber-1".into(), vec![(1, 1), (2, 1)])]);
    }

    #[test]
    fn two_parcels_when_no_warehouse_has_all_and_best_pair_wins() {
        let on_hand = stock(&[
            (1, "ams-1", 5),
            (2, "lon-1", 5),
            (2, "ber-1", 5),
            (3, "lon-1", 1),
            (3, "ber-1", 1),
        ]);
        let got = allocate(&need(&[(1, 1), (2, 2), (3, 1)]), &three(), &on_hand).unwrap();
        assert_eq!(
            shape(&got),
            vec![
                ("ams-1".into(), vec![(1, 1)]),
                ("lon-1".into(), vec![(2, 2), (3, 1)])
            ]
        );
    }

    #[test]
    fn a_line_is_split_only_when_no_member_holds_all_of_it() {
        let on_hand = stock(&[(1, "ams-1", 3), (1, "lon-1", 4)]);
        let got = allocate(&need(&[(1, 6)]), &three(), &on_hand).unwrap();
        assert_eq!(
            shape(&got),
            vec![
                ("ams-1".into(), vec![(1, 3)]),
                ("lon-1".into(), vec![(1, 3)])
            ]
        );
    }

    #[test]
    fn not_enough_anywhere_is_none() {
        let on_hand = stock(&[(1, "ams-1", 3), (1, "lon-1", 2), (2, "ber-1", 9)]);
        assert_eq!(allocate(&need(&[(1, 6), (2, 1)]), &three(), &on_hand), None);
        assert_eq!(allocate(&need(&[(3, 1)]), &three(), &on_hand), None);
        assert_eq!(allocate(&need(&[(1, 1)]), &[], &on_hand), None);
    }

    #[test]
    fn negative_or_missing_stock_counts_as_none() {
        let on_hand = stock(&[(1, "ams-1", -4), (1, "lon-1", 2)]);
        let got = allocate(&need(&[(1, 2)]), &three(), &on_hand).unwrap();
        assert_eq!(shape(&got), vec![("lon-1".into(), vec![(1, 2)])]);
    }

    #[test]
    fn many_warehouses_use_the_greedy_cover_and_still_cover() {
        let ws: Vec<Warehouse> = (0..20).map(|i| wh(&format!("w{i:02}"), i)).collect();
        let mut rows = Vec::new();
        for i in 0..20u8 {
            rows.push((i + 1, format!("w{i:02}"), 1));
        }
        rows.push((1, "w19".into(), 5));
        rows.push((2, "w19".into(), 5));
        let on_hand: OnHand = rows.into_iter().map(|(n, w, q)| ((p(n), w), q)).collect();
        let got = allocate(&need(&[(1, 2), (2, 2), (3, 1)]), &ws, &on_hand).unwrap();
        assert_eq!(
            shape(&got),
            vec![
                ("w02".into(), vec![(3, 1)]),
                ("w19".into(), vec![(1, 2), (2, 2)])
            ]
        );
        assert_eq!(
            allocate(&need(&[(1, 7)]), &ws, &on_hand),
            None,
            "1 + 5 units of product 1 exist"
        );
    }
}
