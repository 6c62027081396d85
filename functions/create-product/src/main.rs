//! Lambda entry point; the logic is `ferrocart::api::create_product`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    ferrocart::runtime::serve_http(ferrocart::api::create_product::handle).await
}
