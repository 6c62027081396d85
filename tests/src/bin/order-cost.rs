//! What one completed order costs: runs the shopper's journey (register once, log in, browse,
//! three products in the cart, checkout, pay at the Stripe stand-in, fulfilment, both emails)
//! against the local stack and prints the DynamoDB capacity units, SQS requests and Lambda
//! invocations it took, as counted by the local meter, priced at PERFORMANCE.md's published prices.
//!
//! `make bench-order` (= `ferrocart run -- cargo run -p ferrocart-tests --bin order-cost`);
//! `order-cost 3 --guest` (`make bench-order-guest`) meters a guest's order instead (no account:
//! a cart token, checkout with an email, the order read with its order token).

use ferrocart_tests::control_json;
use ferrocart_tests::journey::{shop_one_guest_order, shop_one_order};
use serde_json::Value;

const WCU: f64 = 0.625; // $ per million write units
const RCU: f64 = 0.125; // $ per million read units
const SQS: f64 = 0.40; // $ per million requests
const HTTP_API: f64 = 1.00; // $ per million requests
const LAMBDA_REQ: f64 = 0.20; // $ per million invocations
const READS: &[&str] = &[
    "GetItem",
    "Query",
    "Scan",
    "BatchGetItem",
    "TransactGetItems",
];

fn num(v: &Value, k: &str) -> f64 {
    v[k].as_f64().unwrap_or(0.0)
}

fn diff(after: &Value, before: &Value) -> Vec<(String, Value)> {
    after
        .as_object()
        .into_iter()
        .flatten()
        .map(|(op, a)| {
            let b = &before[op];
            let d = serde_json::json!({
                "requests": num(a, "requests") - num(b, "requests"),
                "capacity_units": num(a, "capacity_units") - num(b, "capacity_units"),
                "index_units": num(a, "index_units") - num(b, "index_units"),
                "transact_items": num(a, "transact_items") - num(b, "transact_items"),
                "messages": num(a, "messages") - num(b, "messages"),
            });
            (op.clone(), d)
        })
        .filter(|(_, d)| num(d, "requests") > 0.0)
        .collect()
}

#[tokio::main]
async fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(3);
    let guest = std::env::args().any(|a| a == "--guest");
    // Start from a quiet stack: the bucket notification's `s3:TestEvent`, sent when the stack
    // configured it, reaches image-resize a moment after start-up and is not part of an order.
    let mut last = control_json("/__local/invocations").await;
    for _ in 0..15 {
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        let now = control_json("/__local/invocations").await;
        if now == last {
            break;
        }
        last = now;
    }
    let mut totals = Vec::new();
    for run in 0..runs {
        let (meter0, inv0) = (
            control_json("/__local/meter").await,
            control_json("/__local/invocations").await,
        );
        let j = if guest {
            shop_one_guest_order("cost-guest", run).await
        } else {
            shop_one_order("cost", run).await
        };
        // Let stragglers (duplicate webhook events, late email records) finish.
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        let (meter1, inv1) = (
            control_json("/__local/meter").await,
            control_json("/__local/invocations").await,
        );
        let ddb = diff(&meter1["dynamodb"], &meter0["dynamodb"]);
        let sqs = diff(&meter1["sqs"], &meter0["sqs"]);
        let indexes: Vec<String> = meter1["dynamodb_indexes"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(name, u)| {
                let d = u.as_f64().unwrap_or(0.0)
                    - meter0["dynamodb_indexes"][name].as_f64().unwrap_or(0.0);
                format!("{name} {d:.1}")
            })
            .collect();
        println!(
            "\n== order {} ({} lines, {} shipment(s))",
            j.order_id,
            j.lines.len(),
            j.order["shipments"]
                .as_array()
                .map(|a| a.len())
                .unwrap_or(0)
        );
        println!(
            "{:<20} {:>8} {:>10} {:>14} {:>10}",
            "DynamoDB op", "requests", "units", "of which index", "tx items"
        );
        let (mut read_units, mut write_units, mut tx_items, mut tx_units) = (0.0, 0.0, 0.0, 0.0);
        let mut tx_index_units = 0.0;
        for (op, d) in &ddb {
            println!(
                "{op:<20} {:>8} {:>10.1} {:>14.1} {:>10}",
                num(d, "requests"),
                num(d, "capacity_units"),
                num(d, "index_units"),
                num(d, "transact_items")
            );
            if READS.contains(&op.as_str()) {
                read_units += num(d, "capacity_units");
            } else {
                write_units += num(d, "capacity_units");
            }
            if op == "TransactWriteItems" {
                tx_items += num(d, "transact_items");
                tx_units += num(d, "capacity_units");
                tx_index_units += num(d, "index_units");
            }
        }
        println!("index units (reads and writes): {}", indexes.join(", "));
        println!("{:<20} {:>8} {:>10}", "SQS action", "requests", "messages");
        let (mut sqs_requests, mut sqs_messages) = (0.0, 0.0);
        for (op, d) in &sqs {
            println!(
                "{op:<20} {:>8} {:>10}",
                num(d, "requests"),
                num(d, "messages")
            );
            sqs_requests += num(d, "requests");
            sqs_messages += num(d, "messages");
        }
        let mut invocations = 0.0;
        let mut http = 0.0;
        let mut line = Vec::new();
        for (f, n) in inv1.as_object().into_iter().flatten() {
            let d = n.as_f64().unwrap_or(0.0) - inv0[f].as_f64().unwrap_or(0.0);
            if d > 0.0 {
                invocations += d;
                // The SQS consumers are not behind the HTTP API.
                if ![
                    "OrderFulfilmentFunction",
                    "EmailFunction",
                    "OrderExpiryFunction",
                    "ImageResizeFunction",
                ]
                .contains(&f.as_str())
                {
                    http += d;
                }
                line.push(format!("{f} {d}"));
            }
        }
        println!("invocations: {invocations} ({})", line.join(", "));
        // AWS bills a transactional write at 2 units per KB per item: count the transactional
        // items at 2 units each (our items are under 1 KB) where DynamoDB Local reported fewer
        // for the table, and the indexes' writes on top, as reported.
        let tx_table_units = tx_units - tx_index_units;
        let aws_write =
            write_units - tx_units + tx_table_units.max(2.0 * tx_items) + tx_index_units;
        // Lambda's event source mapping receives and deletes each message (at least one receive
        // and one delete per message at low traffic; batches share them under load).
        let esm = 2.0 * sqs_messages;
        let dollars = aws_write * WCU
            + read_units * RCU
            + (sqs_requests + esm) * SQS
            + http * HTTP_API
            + invocations * LAMBDA_REQ;
        println!(
            "DynamoDB: {read_units:.1} RCU, {write_units:.1} WCU reported ({aws_write:.1} WCU billed on AWS: {tx_items} transactional items at 2 each, plus {tx_index_units:.1} of index writes in transactions); \
             SQS: {sqs_requests} requests by functions + {esm} by Lambda's pollers; HTTP API {http}; Lambda invocations {invocations}"
        );
        println!(
            "=> ${dollars:.2} per million orders (requests and capacity only; Lambda GB-s not included)"
        );
        totals.push(dollars);
    }
    println!(
        "\nper-order cost over {runs} run(s): {:?}",
        totals
            .iter()
            .map(|d| format!("${d:.2}/M"))
            .collect::<Vec<_>>()
    );
}
