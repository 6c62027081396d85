//! Lambda entry point; the logic is `ferrocart::api::list_orders`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    ferrocart::runtime::serve_http(ferrocart::api::list_orders::handle).await
}
