//! Lambda entry point; the logic is `ferrocart::api::set_stock`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    ferrocart::runtime::serve_http(ferrocart::api::set_stock::handle).await
}
