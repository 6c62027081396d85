//! Lambda entry point; the logic is `ferrocart::api::create_image_upload`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    ferrocart::runtime::serve_http_requiring(
        &["UPLOAD_BUCKET"],
        ferrocart::api::create_image_upload::handle,
    )
    .await
}
