//! Lambda entry point; the handler and its context are in `lib.rs`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    ferrocart::runtime::serve_http(product_page::handle).await
}
