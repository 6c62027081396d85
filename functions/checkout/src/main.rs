//! Lambda entry point; the logic is `ferrocart::api::checkout`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    ferrocart::runtime::serve_http_requiring(
        &["JWT_SECRET", "STRIPE_SECRET_KEY"],
        ferrocart::api::checkout::handle,
    )
    .await
}
