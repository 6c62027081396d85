//! Lambda entry point; the logic is `ferrocart::api::remove_cart_item`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    ferrocart::runtime::serve_http(ferrocart::api::remove_cart_item::handle).await
}
