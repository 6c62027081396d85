//! Lambda entry point; the logic is `ferrocart::api::refresh`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    ferrocart::runtime::serve_http(ferrocart::api::refresh::handle).await
}
