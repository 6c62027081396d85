//! Lambda entry point; the logic is `ferrocart::api::list_categories`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    ferrocart::runtime::serve_public_http(ferrocart::api::list_categories::handle).await
}
