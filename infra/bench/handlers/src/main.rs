//! `handler-bench <function> <requests>`, the event JSON on stdin, run in the function's own
//! environment (`ferrocart bench-functions` starts it exactly as it starts the function's binary).
//!
//! PERFORMANCE.md's "CPU per warm request in our code (SDK calls answered locally)": no Lambda
//! runtime, no network. The function's context is built as its `main` builds it, but its SDK
//! clients sit on an HTTP client that can replay:
//!
//! 1. the handler runs once on the event with the local stack answering; each SDK call's response
//!    is recorded (operation and order);
//! 2. from then on every SDK call is answered from that recording, in memory, and must be the same
//!    operation in the same order (else the run fails: the handler took another path);
//! 3. after warm-up requests, `requests` more are timed: on-CPU time of every thread of this
//!    process (`/proc/self/task/*/schedstat`), per request.
//!
//! So a figure is our handler (parsing, validation, token check, keys, item mapping, response)
//! plus the SDK's request building, signing and response parsing, which our code cannot avoid.
//! Printed as the last line of stdout (after the function's own logs), as JSON:
//! `{"status":200,"sdk_calls":2,"cpu_us":41.3,"wall_us":43.0,"init_us":[310,330,420]}` (`init_us`:
//! start-up in our code, cumulative: SDK configuration, settings and secrets, clients and context).

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, SharedHttpClient, SharedHttpConnector,
    http_client_fn,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use ferrocart::error::ApiError;
use ferrocart::settings::Settings;
use ferrocart::startup::{FunctionContext, Startup};
use lambda_http::{Body, Request, Response};
use std::future::Future;
use std::io::Read;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

const WARMUP: usize = 50;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Clone, Debug)]
struct Recorded {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Recorded {
    fn response(&self) -> Result<HttpResponse, ConnectorError> {
        let status = self
            .status
            .try_into()
            .map_err(|e| ConnectorError::other(Box::new(e), None))?;
        let mut resp = HttpResponse::new(status, SdkBody::from(self.body.clone()));
        for (k, v) in &self.headers {
            resp.headers_mut()
                .try_append(k.clone(), v.clone())
                .map_err(|e| ConnectorError::other(Box::new(e), None))?;
        }
        Ok(resp)
    }
}

#[derive(Debug, Default)]
struct Tape {
    replaying: bool,
    calls: Vec<(String, Recorded)>,
    cursor: usize,
    mismatch: Option<String>,
}

#[derive(Clone, Debug, Default)]
struct SharedTape(Arc<Mutex<Tape>>);

impl SharedTape {
    fn lock(&self) -> MutexGuard<'_, Tape> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What identifies an SDK call: method, path and the operation header of JSON protocols.
fn call_key(req: &HttpRequest) -> String {
    let path = req.uri().split('?').next().unwrap_or("");
    let path = path
        .split_once("://")
        .map_or(path, |(_, rest)| rest.find('/').map_or("/", |i| &rest[i..]));
    format!(
        "{} {} {}",
        req.method(),
        path,
        req.headers().get("x-amz-target").unwrap_or("")
    )
}

#[derive(Debug)]
struct Taped {
    live: SharedHttpConnector,
    tape: SharedTape,
}

impl HttpConnector for Taped {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let key = call_key(&request);
        let mut tape = self.tape.lock();
        if tape.replaying {
            let answer = match tape.calls.get(tape.cursor) {
                Some((k, rec)) if *k == key => {
                    let rec = rec.clone();
                    tape.cursor += 1;
                    rec.response()
                }
                other => {
                    let expected = other.map_or("nothing", |(k, _)| k.as_str()).to_string();
                    tape.mismatch = Some(format!("call {key:?}, recorded {expected:?}"));
                    Err(ConnectorError::other("not in the recording".into(), None))
                }
            };
            return HttpConnectorFuture::ready(answer);
        }
        drop(tape);
        let live = self.live.clone();
        let tape = self.tape.clone();
        HttpConnectorFuture::new(async move {
            let resp = live.call(request).await?;
            let status = u16::from(resp.status());
            let headers = resp
                .headers()
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let body = ByteStream::new(resp.into_body())
                .collect()
                .await
                .map_err(|e| ConnectorError::io(Box::new(e)))?
                .to_vec();
            let rec = Recorded {
                status,
                headers,
                body,
            };
            let answer = rec.response();
            tape.lock().calls.push((key, rec));
            answer
        })
    }
}

fn taped_client(tape: SharedTape) -> SharedHttpClient {
    let live = ferrocart::settings::http_client();
    http_client_fn(move |settings, components| {
        SharedHttpConnector::new(Taped {
            live: live.http_connector(settings, components),
            tape: tape.clone(),
        })
    })
}

/// Every HTTP function's handler (its own crate's), by binary name.
async fn bench(name: &str, requests: usize, event: &str) -> Result<serde_json::Value, BoxError> {
    match name {
        "register" => run(register::handle, event, requests).await,
        "login" => run(login::handle, event, requests).await,
        "refresh" => run(refresh::handle, event, requests).await,
        "logout" => run(logout::handle, event, requests).await,
        "me" => run(me::handle, event, requests).await,
        "request-password-reset" => run(request_password_reset::handle, event, requests).await,
        "confirm-password-reset" => run(confirm_password_reset::handle, event, requests).await,
        "verify-email" => run(verify_email::handle, event, requests).await,
        "request-email-verification" => {
            run(request_email_verification::handle, event, requests).await
        }
        "list-addresses" => run(list_addresses::handle, event, requests).await,
        "create-address" => run(create_address::handle, event, requests).await,
        "update-address" => run(update_address::handle, event, requests).await,
        "delete-address" => run(delete_address::handle, event, requests).await,
        "list-products" => run(list_products::handle, event, requests).await,
        "get-product" => run(get_product::handle, event, requests).await,
        "list-categories" => run(list_categories::handle, event, requests).await,
        "list-shipping-options" => run(list_shipping_options::handle, event, requests).await,
        "apply-discount" => run(apply_discount::handle, event, requests).await,
        "admin-list-orders" => run(admin_list_orders::handle, event, requests).await,
        "admin-get-order" => run(admin_get_order::handle, event, requests).await,
        "create-refund" => run(create_refund::handle, event, requests).await,
        "cancel-order" => run(cancel_order::handle, event, requests).await,
        "resend-email" => run(resend_email::handle, event, requests).await,
        "list-images" => run(list_images::handle, event, requests).await,
        "list-low-stock" => run(list_low_stock::handle, event, requests).await,
        "search" => run(search::handle, event, requests).await,
        "search-suggest" => run(search_suggest::handle, event, requests).await,
        "get-recommendations" => run(get_recommendations::handle, event, requests).await,
        "put-tax-settings" => run(put_tax_settings::handle, event, requests).await,
        "put-shipping" => run(put_shipping::handle, event, requests).await,
        "get-selling-settings" => run(get_selling_settings::handle, event, requests).await,
        "remove-discount" => run(remove_discount::handle, event, requests).await,
        "put-discount" => run(put_discount::handle, event, requests).await,
        "list-discounts" => run(list_discounts::handle, event, requests).await,
        "route-fallback" => run(route_fallback::handle, event, requests).await,
        "create-product" => run(create_product::handle, event, requests).await,
        "admin-get-product" => run(admin_get_product::handle, event, requests).await,
        "product-page" => run(product_page::handle, event, requests).await,
        "category-page" => run(category_page::handle, event, requests).await,
        "update-product" => run(update_product::handle, event, requests).await,
        "set-stock" => run(set_stock::handle, event, requests).await,
        "create-image-upload" => run(create_image_upload::handle, event, requests).await,
        "add-to-cart" => run(add_to_cart::handle, event, requests).await,
        "get-cart" => run(get_cart::handle, event, requests).await,
        "update-cart-item" => run(update_cart_item::handle, event, requests).await,
        "remove-cart-item" => run(remove_cart_item::handle, event, requests).await,
        "checkout" => run(checkout::handle, event, requests).await,
        "payment-webhook" => run(payment_webhook::handle, event, requests).await,
        "list-orders" => run(list_orders::handle, event, requests).await,
        "get-order" => run(get_order::handle, event, requests).await,
        other => Err(format!("{other} is not an HTTP function").into()),
    }
}

#[path = "../../../cli/src/procstat.rs"]
mod procstat;

/// On-CPU nanoseconds of every thread of this process.
fn cpu_ns() -> u64 {
    procstat::cpu_ns(std::process::id())
}

/// Builds the function's context as its `main` does (on the taped HTTP client), records one
/// request, then replays and times `requests` more.
async fn run<C, F, Fut>(
    handler: F,
    event: &str,
    requests: usize,
) -> Result<serde_json::Value, BoxError>
where
    C: FunctionContext,
    F: Fn(&'static C, Request) -> Fut,
    Fut: Future<Output = Result<Response<Body>, ApiError>>,
{
    let tape = SharedTape::default();
    let handle = |ctx: &'static C, req: Request| {
        let fut = handler(ctx, req);
        async move { Ok::<_, BoxError>(fut.await.unwrap_or_else(ApiError::into_response)) }
    };
    let t0 = Instant::now();
    // Startup::load's two steps, timed apart.
    let sdk = ferrocart::settings::sdk_config_with(taped_client(tape.clone())).await;
    let t_sdk = t0.elapsed();
    let settings = Settings::load(&sdk).await?;
    let t_settings = t0.elapsed();
    let startup = Startup::new(sdk, settings);
    // Leaked, as the runtime does ([`ferrocart::runtime`]): handlers borrow it for 'static.
    let ctx: &'static C = Box::leak(Box::new(C::from_startup(&startup)?));
    let t_ctx = t0.elapsed();
    let request = || lambda_http::request::from_str(event);

    // Record: the local stack answers, as for the deployed function.
    tape.lock().calls.clear();
    let status = handle(ctx, request()?).await?.status().as_u16();
    let sdk_calls = {
        let mut t = tape.lock();
        t.replaying = true;
        t.calls.len()
    };

    // Replay: requests are parsed up front (the runtime's work, not ours).
    let mut measured = 0u64;
    let mut wall = 0f64;
    for (round, n) in [(0, WARMUP), (1, requests)] {
        let reqs = (0..n).map(|_| request()).collect::<Result<Vec<_>, _>>()?;
        let (cpu0, t0) = (cpu_ns(), Instant::now());
        for req in reqs {
            tape.lock().cursor = 0;
            let got = handle(ctx, req).await?.status().as_u16();
            let t = tape.lock();
            if let Some(m) = &t.mismatch {
                return Err(format!("replay diverged from the recording: {m}").into());
            }
            if got != status || t.cursor != sdk_calls {
                return Err(format!(
                    "replay answered {got} after {} SDK calls; recorded {status} after {sdk_calls}",
                    t.cursor
                )
                .into());
            }
        }
        if round == 1 {
            measured = cpu_ns().saturating_sub(cpu0);
            wall = t0.elapsed().as_secs_f64();
        }
    }
    let per = |x: f64| (x / requests as f64 * 10.0).round() / 10.0;
    let init_us = [t_sdk, t_settings, t_ctx].map(|d| d.as_micros() as u64);
    Ok(serde_json::json!({
        "status": status,
        "sdk_calls": sdk_calls,
        "cpu_us": per(measured as f64 / 1000.0),
        "wall_us": per(wall * 1e6),
        // What the function's start-up spends in our code, cumulative: SDK configuration from the
        // environment, + settings (secrets fetched, if any), + clients and context built.
        "init_us": init_us,
    }))
}

fn main() -> Result<(), BoxError> {
    let mut args = std::env::args().skip(1);
    let (Some(name), Some(requests)) = (args.next(), args.next()) else {
        return Err("usage: handler-bench <function> <requests> < event.json".into());
    };
    let requests: usize = requests.parse()?;
    // Logs as the function writes them (stdout, JSON): their cost is part of a request's.
    ferrocart::telemetry::init();
    let mut event = String::new();
    std::io::stdin().read_to_string(&mut event)?;
    // One thread, as a Lambda sandbox with one request at a time mostly is.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let out = rt.block_on(bench(&name, requests.max(1), &event))?;
    println!("{out}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, uri: &str, target: Option<&'static str>) -> HttpRequest {
        let mut req = HttpRequest::new(SdkBody::empty());
        req.set_method(method).expect("method");
        req.set_uri(uri).expect("uri");
        if let Some(t) = target {
            req.headers_mut().insert("x-amz-target", t);
        }
        req
    }

    #[test]
    fn a_call_is_its_method_path_and_operation_not_its_host_or_query() {
        let a = request(
            "POST",
            "http://127.0.0.1:8000/",
            Some("DynamoDB_20120810.Query"),
        );
        let b = request(
            "POST",
            "https://dynamodb.us-east-1.amazonaws.com/",
            Some("DynamoDB_20120810.Query"),
        );
        assert_eq!(call_key(&a), "POST / DynamoDB_20120810.Query");
        assert_eq!(call_key(&a), call_key(&b));
        let get = request(
            "GET",
            "http://127.0.0.1:4566/bucket/key?x-id=GetObject",
            None,
        );
        assert_eq!(call_key(&get), "GET /bucket/key ");
        let put = request("PUT", "http://127.0.0.1:4566/bucket/key", None);
        assert_ne!(call_key(&get), call_key(&put));
    }

    #[test]
    fn a_recording_answers_with_its_status_headers_and_body() {
        let rec = Recorded {
            status: 400,
            headers: vec![("x-amzn-requestid".into(), "r1".into())],
            body: br#"{"__type":"ConditionalCheckFailedException"}"#.to_vec(),
        };
        let resp = rec.response().expect("response");
        assert_eq!(u16::from(resp.status()), 400);
        assert_eq!(resp.headers().get("x-amzn-requestid"), Some("r1"));
        assert_eq!(resp.body().bytes(), Some(rec.body.as_slice()));
    }
}
