//! Echoes its event: the smallest useful `lambda_runtime` function, the yardstick for init time,
//! memory and size in `ferrocart bench-functions`.

use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(
        |event: LambdaEvent<serde_json::Value>| async move { Ok::<_, Error>(event.payload) },
    ))
    .await
}
