//! Lambda entry point; the logic is `ferrocart::api::register`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    ferrocart::runtime::serve_public_http(ferrocart::api::register::handle).await
}
