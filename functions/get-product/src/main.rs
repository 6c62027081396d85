//! Lambda entry point; the logic is `ferrocart::api::get_product`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    ferrocart::runtime::serve_public_http(ferrocart::api::get_product::handle).await
}
