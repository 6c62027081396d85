//! Lambda entry point; the logic is `ferrocart::api::add_to_cart`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    ferrocart::runtime::serve_http(ferrocart::api::add_to_cart::handle).await
}
