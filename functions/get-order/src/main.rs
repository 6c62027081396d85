//! Lambda entry point; the logic is `ferrocart::api::get_order`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    ferrocart::runtime::serve_http(ferrocart::api::get_order::handle).await
}
