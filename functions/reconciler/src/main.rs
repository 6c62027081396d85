//! Lambda entry point; the run and its context ([`reconciler::ReconcilerContext`]) are in `lib.rs`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    ferrocart::runtime::serve_scheduled(reconciler::handle).await
}
