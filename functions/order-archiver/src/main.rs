//! Lambda entry point; the handler and its context are in `lib.rs`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    ferrocart::runtime::serve_events(order_archiver::handle).await
}
