//! Lambda entry point; the logic is `ferrocart::api::get_cart`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    ferrocart::runtime::serve_http(ferrocart::api::get_cart::handle).await
}
