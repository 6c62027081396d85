//! Reads what the local stack needs from `template.yaml`, so nothing is declared twice:
//! HTTP routes and the function behind each, every function's binary, environment and timeout,
//! and the DynamoDB tables. `!Ref` to a table or parameter is resolved to its local value.

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value as Json;
use serde_yaml_ng::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// The path of the HTTP API's catch-all route, as API Gateway names it.
pub const DEFAULT_ROUTE: &str = "$default";

#[derive(Debug, Clone, serde::Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Route {
    pub method: String,
    pub path: String,
    pub function: String,
}

#[derive(Debug, Clone)]
pub struct Function {
    pub logical_id: String,
    pub binary: String,
    pub env: BTreeMap<String, String>,
    pub timeout_secs: u64,
    pub memory_mb: u64,
    /// `ReservedConcurrentExecutions`: at most this many sandboxes at once (the search index's
    /// one writer has 1).
    pub reserved_concurrency: Option<usize>,
    /// The DynamoDB and SQS statements of its policy, for the local IAM check.
    pub grants: crate::iam::Grants,
}

#[derive(Debug, Clone)]
pub struct Table {
    pub logical_id: String,
    pub local_name: String,
    pub properties: Value,
}

/// An S3 bucket or SQS queue: its local name and CloudFormation properties.
#[derive(Debug, Clone)]
pub struct Resource {
    pub logical_id: String,
    pub local_name: String,
    pub properties: Value,
}

/// An SQS queue feeding a function (an `SQS` event).
#[derive(Debug, Clone)]
pub struct SqsSource {
    pub function: String,
    pub queue: String,
    pub batch_size: u32,
    pub report_batch_item_failures: bool,
}

/// A DynamoDB stream feeding a function (a `DynamoDB` event on the table's `StreamArn`).
#[derive(Debug, Clone)]
pub struct StreamSource {
    pub function: String,
    pub batch_size: u32,
    pub batching_window_secs: u64,
    /// Retries of a failing batch before it is given up (AWS: -1 means until the records expire;
    /// locally that is capped at 10).
    pub max_retry_attempts: u32,
    pub report_batch_item_failures: bool,
    /// `FilterCriteria` patterns (Lambda event filtering): a record is delivered if any matches.
    pub filters: Vec<Json>,
    /// The queue (logical id) of `DestinationConfig.OnFailure`.
    pub on_failure_queue: Option<String>,
}

/// Where `make dev` serves the storefront, and so the origin the local API's CORS allows (the
/// template's `StorefrontOrigin` parameter, locally).
pub const LOCAL_STOREFRONT_ORIGIN: &str = "http://127.0.0.1:3002";

/// An HTTP API's `CorsConfiguration` (header names lower-cased).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cors {
    pub allow_origins: Vec<String>,
    pub allow_methods: Vec<String>,
    pub allow_headers: Vec<String>,
    pub expose_headers: Vec<String>,
    pub max_age: Option<u64>,
    pub allow_credentials: bool,
}

/// A storefront-dependent setting as it is locally: `!If [condition, config, NoValue]` read as
/// its configured branch.
pub fn with_storefront(config: &Value) -> Value {
    match tag_name(config) {
        Some((tag, Value::Sequence(branches))) if tag == "If" => {
            branches.get(1).cloned().unwrap_or(Value::Null)
        }
        _ => config.clone(),
    }
}

/// A list of a storefront-dependent setting's strings, `!Ref StorefrontOrigin` being the local
/// storefront's origin.
pub fn storefront_list(config: &Value, key: &str) -> Vec<String> {
    config
        .get(key)
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .filter_map(|v| match tag_name(v) {
            Some((tag, Value::String(name))) if tag == "Ref" && name == "StorefrontOrigin" => {
                Some(LOCAL_STOREFRONT_ORIGIN.to_string())
            }
            _ => scalar(v),
        })
        .collect()
}

/// The CORS configuration of the template's HTTP API, as it is with a storefront origin.
fn http_api_cors(resources: &serde_yaml_ng::Mapping) -> Option<Cors> {
    let config = with_storefront(
        resources
            .iter()
            .map(|(_, r)| r)
            .find(|r| r.get("Type").and_then(Value::as_str) == Some("AWS::Serverless::HttpApi"))?
            .get("Properties")?
            .get("CorsConfiguration")?,
    );
    let list = |key: &str, lower: bool| -> Vec<String> {
        storefront_list(&config, key)
            .into_iter()
            .map(|s| if lower { s.to_ascii_lowercase() } else { s })
            .collect()
    };
    Some(Cors {
        allow_origins: list("AllowOrigins", false),
        allow_methods: list("AllowMethods", false),
        allow_headers: list("AllowHeaders", true),
        expose_headers: list("ExposeHeaders", true),
        max_age: config.get("MaxAge").and_then(Value::as_u64),
        allow_credentials: config
            .get("AllowCredentials")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    })
}

/// A function run on a schedule (a `Schedule` or `ScheduleV2` event): `rate(...)` or `cron(...)`.
#[derive(Debug, Clone)]
pub struct ScheduleSource {
    pub function: String,
    pub expression: String,
}

#[derive(Debug)]
pub struct Template {
    pub functions: Vec<Function>,
    pub routes: Vec<Route>,
    pub tables: Vec<Table>,
    pub buckets: Vec<Resource>,
    pub queues: Vec<Resource>,
    pub sqs_sources: Vec<SqsSource>,
    pub stream_sources: Vec<StreamSource>,
    pub schedules: Vec<ScheduleSource>,
    /// Buckets served by a CloudFront distribution (an S3 origin), by local name.
    pub cdn_buckets: Vec<String>,
    /// The HTTP API's CORS configuration as it is with a storefront origin, that origin being the
    /// local storefront's ([`LOCAL_STOREFRONT_ORIGIN`]); `None` if the template has none.
    pub cors: Option<Cors>,
    /// Secrets Manager secrets, with their local values (`infra/local-secrets.json`).
    pub secrets: Vec<Secret>,
}

/// An `AWS::SecretsManager::Secret`: created in the local stack's Secrets Manager under
/// `local_name` (what `!Ref` resolves to locally) holding `value`.
#[derive(Debug, Clone)]
pub struct Secret {
    pub logical_id: String,
    pub local_name: String,
    pub value: String,
}

/// Local secret values by logical id: a string, or an object stored as its JSON text.
pub fn load_local_secrets(path: &Path) -> Result<BTreeMap<String, String>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let json: Json =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let obj = json
        .as_object()
        .ok_or_else(|| anyhow!("{}: expected an object", path.display()))?;
    Ok(obj
        .iter()
        .filter(|(k, _)| !k.starts_with('_'))
        .map(|(k, v)| {
            let v = match v {
                Json::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), v)
        })
        .collect())
}

/// moto's default account, and the local region.
pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";
pub const MOTO_URL: &str = "http://127.0.0.1:4566";

pub fn queue_arn(name: &str) -> String {
    format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{name}")
}

pub fn queue_url(name: &str) -> String {
    format!("{MOTO_URL}/{ACCOUNT}/{name}")
}

/// Local name of a table: its literal `TableName`, else `ferrocart-<logical id, lowercase>`.
fn local_table_name(logical_id: &str, props: &Value) -> String {
    local_name(logical_id, props, "TableName")
}

/// A resource's literal name property (a plain string, not `!Sub`/`!Ref`), else
/// `ferrocart-<logical id, lowercase>`.
fn local_name(logical_id: &str, props: &Value, name_prop: &str) -> String {
    match props.get(name_prop) {
        Some(Value::String(s)) => s.clone(),
        _ => format!("ferrocart-{}", logical_id.to_lowercase()),
    }
}

fn tag_name(v: &Value) -> Option<(String, &Value)> {
    match v {
        Value::Tagged(t) => Some((
            t.tag.to_string().trim_start_matches('!').to_string(),
            &t.value,
        )),
        Value::Mapping(m) if m.len() == 1 => {
            let (k, v) = m.iter().next()?;
            let k = k.as_str()?;
            (k == "Ref" || k.starts_with("Fn::"))
                .then(|| (k.trim_start_matches("Fn::").to_string(), v))
        }
        _ => None,
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `sam local`-style overrides: `Parameters` apply to every function, `<LogicalId>` to one.
pub fn load_env_overrides(path: &Path) -> Result<BTreeMap<String, BTreeMap<String, String>>> {
    if !path.exists() {
        return Ok(BTreeMap::new());
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let json: Json =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let mut out = BTreeMap::new();
    for (scope, vars) in json.as_object().into_iter().flatten() {
        let mut m = BTreeMap::new();
        for (k, v) in vars.as_object().into_iter().flatten() {
            let v = match v {
                Json::String(s) => s.clone(),
                other => other.to_string(),
            };
            m.insert(k.clone(), v);
        }
        out.insert(scope.clone(), m);
    }
    Ok(out)
}

impl Template {
    pub fn load(
        path: &Path,
        env_overrides: &BTreeMap<String, BTreeMap<String, String>>,
        secret_values: &BTreeMap<String, String>,
    ) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let doc: Value = serde_yaml_ng::from_str(&text)
            .with_context(|| format!("parsing {}", path.display()))?;
        let resources = doc
            .get("Resources")
            .and_then(Value::as_mapping)
            .ok_or_else(|| anyhow!("template has no Resources"))?;

        let mut tables = Vec::new();
        for (id, res) in resources {
            let id = id.as_str().unwrap_or_default();
            if res.get("Type").and_then(Value::as_str) == Some("AWS::DynamoDB::Table") {
                let props = res.get("Properties").cloned().unwrap_or(Value::Null);
                tables.push(Table {
                    logical_id: id.to_string(),
                    local_name: local_table_name(id, &props),
                    properties: props,
                });
            }
        }
        let mut buckets = Vec::new();
        let mut queues = Vec::new();
        let mut secrets = Vec::new();
        for (id, res) in resources {
            let id = id.as_str().unwrap_or_default();
            let props = res.get("Properties").cloned().unwrap_or(Value::Null);
            let local = |name_prop: &str| local_name(id, &props, name_prop);
            match res.get("Type").and_then(Value::as_str) {
                Some("AWS::S3::Bucket") => buckets.push(Resource {
                    logical_id: id.to_string(),
                    local_name: local("BucketName"),
                    properties: props.clone(),
                }),
                Some("AWS::SQS::Queue") => queues.push(Resource {
                    logical_id: id.to_string(),
                    local_name: local("QueueName"),
                    properties: props.clone(),
                }),
                Some("AWS::SecretsManager::Secret") => secrets.push(Secret {
                    logical_id: id.to_string(),
                    local_name: local("Name"),
                    value: secret_values.get(id).cloned().ok_or_else(|| {
                        anyhow!("secret {id}: no local value; add it to infra/local-secrets.json")
                    })?,
                }),
                _ => {}
            }
        }
        let params: BTreeMap<String, Option<String>> = doc
            .get("Parameters")
            .and_then(Value::as_mapping)
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.get("Default").and_then(scalar))))
            .collect();
        let resolve = |v: &Value| -> Option<String> {
            if let Some(s) = scalar(v) {
                return Some(s);
            }
            let (tag, arg) = tag_name(v)?;
            match tag.as_str() {
                "Ref" => {
                    let name = arg.as_str()?;
                    if let Some(t) = tables.iter().find(|t| t.logical_id == name) {
                        return Some(t.local_name.clone());
                    }
                    if let Some(b) = buckets.iter().find(|b| b.logical_id == name) {
                        return Some(b.local_name.clone());
                    }
                    if let Some(q) = queues.iter().find(|q| q.logical_id == name) {
                        return Some(queue_url(&q.local_name));
                    }
                    if let Some(s) = secrets.iter().find(|s| s.logical_id == name) {
                        return Some(s.local_name.clone());
                    }
                    params.get(name).cloned().flatten()
                }
                "GetAtt" => get_att(arg, &buckets, &queues),
                _ => None,
            }
        };

        let globals = doc.get("Globals").and_then(|g| g.get("Function"));
        let global_env = globals
            .and_then(|g| g.get("Environment"))
            .and_then(|e| e.get("Variables"))
            .and_then(Value::as_mapping);
        let global_num = |key: &str, default: u64| {
            globals
                .and_then(|g| g.get(key))
                .and_then(Value::as_u64)
                .unwrap_or(default)
        };

        let mut functions = Vec::new();
        let mut routes = Vec::new();
        let mut sqs_sources = Vec::new();
        let mut stream_sources = Vec::new();
        let mut schedules = Vec::new();
        for (id, res) in resources {
            let id = id.as_str().unwrap_or_default().to_string();
            if res.get("Type").and_then(Value::as_str) != Some("AWS::Serverless::Function") {
                continue;
            }
            let props = res.get("Properties").cloned().unwrap_or(Value::Null);
            let binary = res
                .get("Metadata")
                .and_then(|m| m.get("BuildProperties"))
                .and_then(|b| b.get("Binary"))
                .and_then(Value::as_str)
                .ok_or_else(|| anyhow!("{id}: Metadata.BuildProperties.Binary is required"))?
                .to_string();

            let mut raw: Vec<(String, Value)> = Vec::new();
            for vars in [
                global_env,
                props
                    .get("Environment")
                    .and_then(|e| e.get("Variables"))
                    .and_then(Value::as_mapping),
            ]
            .into_iter()
            .flatten()
            {
                for (k, v) in vars {
                    if let Some(k) = k.as_str() {
                        raw.retain(|(rk, _)| rk != k);
                        raw.push((k.to_string(), v.clone()));
                    }
                }
            }
            let mut env = BTreeMap::new();
            let mut unresolved = Vec::new();
            let overrides = |k: &str| {
                env_overrides
                    .get(&id)
                    .and_then(|m| m.get(k))
                    .or_else(|| env_overrides.get("Parameters").and_then(|m| m.get(k)))
                    .cloned()
            };
            for (k, v) in &raw {
                // The local stack points every function at its own servers (`function_aws_env`).
                if k.starts_with("AWS_ENDPOINT_URL") {
                    continue;
                }
                match overrides(k).or_else(|| resolve(v)) {
                    Some(val) => {
                        env.insert(k.clone(), val);
                    }
                    None => unresolved.push(k.clone()),
                }
            }
            if !unresolved.is_empty() {
                bail!(
                    "{id}: no local value for {}: set it under \"Parameters\" in infra/local-env.json",
                    unresolved.join(", ")
                );
            }

            for (_, event) in props
                .get("Events")
                .and_then(Value::as_mapping)
                .into_iter()
                .flatten()
            {
                if event.get("Type").and_then(Value::as_str) == Some("SQS") {
                    let p = event.get("Properties");
                    let queue = p
                        .and_then(|p| p.get("Queue"))
                        .and_then(get_att_resource)
                        .ok_or_else(|| {
                            anyhow!("{id}: SQS event needs Queue: !GetAtt <Queue>.Arn")
                        })?;
                    sqs_sources.push(SqsSource {
                        function: id.clone(),
                        queue,
                        batch_size: p
                            .and_then(|p| p.get("BatchSize"))
                            .and_then(Value::as_u64)
                            .unwrap_or(10) as u32,
                        report_batch_item_failures: reports_item_failures(p),
                    });
                    continue;
                }
                if event.get("Type").and_then(Value::as_str) == Some("DynamoDB") {
                    stream_sources.push(stream_source(&id, event.get("Properties"))?);
                    continue;
                }
                if matches!(
                    event.get("Type").and_then(Value::as_str),
                    Some("Schedule" | "ScheduleV2")
                ) {
                    let expression = event
                        .get("Properties")
                        .and_then(|p| p.get("Schedule").or_else(|| p.get("ScheduleExpression")))
                        .and_then(Value::as_str)
                        .ok_or_else(|| anyhow!("{id}: Schedule event without Schedule"))?;
                    schedules.push(ScheduleSource {
                        function: id.clone(),
                        expression: expression.to_string(),
                    });
                    continue;
                }
                if event.get("Type").and_then(Value::as_str) != Some("HttpApi") {
                    continue;
                }
                let p = event.get("Properties");
                let method = p.and_then(|p| p.get("Method")).and_then(Value::as_str);
                let path = p.and_then(|p| p.get("Path")).and_then(Value::as_str);
                // Neither: SAM makes it the API's `$default` route (what no other route matches).
                let (method, path) = match (method, path) {
                    (Some(m), Some(p)) => (m, p),
                    (None, None) => ("ANY", DEFAULT_ROUTE),
                    _ => bail!("{id}: an HttpApi event needs both Method and Path, or neither"),
                };
                routes.push(Route {
                    method: method.to_uppercase(),
                    path: path.to_string(),
                    function: id.clone(),
                });
            }
            let grants =
                crate::iam::grants(&id, &props, tables.first().map(|t| t.logical_id.as_str()))?;
            functions.push(Function {
                logical_id: id.clone(),
                binary,
                env,
                grants,
                reserved_concurrency: props
                    .get("ReservedConcurrentExecutions")
                    .and_then(Value::as_u64)
                    .map(|n| n as usize),
                timeout_secs: props
                    .get("Timeout")
                    .and_then(Value::as_u64)
                    .unwrap_or(global_num("Timeout", 3)),
                memory_mb: props
                    .get("MemorySize")
                    .and_then(Value::as_u64)
                    .unwrap_or(global_num("MemorySize", 128)),
            });
        }
        routes.sort();
        let mut cdn_buckets = Vec::new();
        for (_, res) in resources {
            if res.get("Type").and_then(Value::as_str) != Some("AWS::CloudFront::Distribution") {
                continue;
            }
            let origins = res
                .get("Properties")
                .and_then(|p| p.get("DistributionConfig"))
                .and_then(|d| d.get("Origins"))
                .and_then(Value::as_sequence);
            for o in origins.into_iter().flatten() {
                let Some((tag, arg)) = o.get("DomainName").and_then(tag_name) else {
                    continue;
                };
                let target = arg
                    .as_str()
                    .and_then(|s| s.split('.').next())
                    .unwrap_or_default();
                if tag == "GetAtt"
                    && let Some(b) = buckets.iter().find(|b| b.logical_id == target)
                {
                    cdn_buckets.push(b.local_name.clone());
                }
            }
        }
        Ok(Self {
            functions,
            routes,
            tables,
            buckets,
            queues,
            sqs_sources,
            stream_sources,
            schedules,
            cdn_buckets,
            secrets,
            cors: http_api_cors(resources),
        })
    }

    /// A function's settings as it will see them: its environment plus the secrets its
    /// `*_SECRET_ARN` variables name (the same expansion the functions do, `ferrocart::settings`).
    pub fn settings(&self, f: &Function) -> BTreeMap<String, String> {
        let mut out = f.env.clone();
        for (var, id) in &f.env {
            if !var.ends_with("_SECRET_ARN") {
                continue;
            }
            if let Some(s) = self.secrets.iter().find(|s| &s.local_name == id) {
                out.extend(ferrocart::settings::expand(var, &s.value));
            }
        }
        out
    }
}

/// The resource a `!GetAtt <Resource>.Arn` (or `Fn::GetAtt: [Resource, Arn]`) names.
fn get_att_resource(v: &Value) -> Option<String> {
    match tag_name(v)?.1 {
        Value::String(s) => s.split('.').next().map(str::to_string),
        Value::Sequence(s) => s.first().and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

/// An event source's `FunctionResponseTypes` includes `ReportBatchItemFailures`.
fn reports_item_failures(p: Option<&Value>) -> bool {
    p.and_then(|p| p.get("FunctionResponseTypes"))
        .and_then(Value::as_sequence)
        .is_some_and(|s| {
            s.iter()
                .any(|v| v.as_str() == Some("ReportBatchItemFailures"))
        })
}

fn stream_source(function: &str, p: Option<&Value>) -> Result<StreamSource> {
    let num = |key: &str, default: i64| {
        p.and_then(|p| p.get(key))
            .and_then(Value::as_i64)
            .unwrap_or(default)
    };
    let mut filters = Vec::new();
    for f in p
        .and_then(|p| p.get("FilterCriteria"))
        .and_then(|c| c.get("Filters"))
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
    {
        let pattern = f
            .get("Pattern")
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("{function}: a filter needs a Pattern string"))?;
        filters.push(
            serde_json::from_str(pattern)
                .with_context(|| format!("{function}: filter pattern {pattern}"))?,
        );
    }
    let on_failure_queue = p
        .and_then(|p| p.get("DestinationConfig"))
        .and_then(|d| d.get("OnFailure"))
        .and_then(|o| o.get("Destination"))
        .and_then(get_att_resource);
    Ok(StreamSource {
        function: function.to_string(),
        batch_size: num("BatchSize", 100).clamp(1, 10_000) as u32,
        batching_window_secs: num("MaximumBatchingWindowInSeconds", 0).clamp(0, 300) as u64,
        max_retry_attempts: match num("MaximumRetryAttempts", -1) {
            n if n < 0 => 10,
            n => n.min(10) as u32,
        },
        report_batch_item_failures: reports_item_failures(p),
        filters,
        on_failure_queue,
    })
}

/// `!GetAtt X.Attr` (or `[X, Attr]`) for the attributes the local stack can know.
pub fn get_att(arg: &Value, buckets: &[Resource], queues: &[Resource]) -> Option<String> {
    let (id, attr) = match arg {
        Value::String(s) => {
            let (a, b) = s.split_once('.')?;
            (a.to_string(), b.to_string())
        }
        Value::Sequence(s) => (
            s.first()?.as_str()?.to_string(),
            s.get(1)?.as_str()?.to_string(),
        ),
        _ => return None,
    };
    if let Some(q) = queues.iter().find(|q| q.logical_id == id) {
        return match attr.as_str() {
            "Arn" => Some(queue_arn(&q.local_name)),
            "QueueName" => Some(q.local_name.clone()),
            "QueueUrl" => Some(queue_url(&q.local_name)),
            _ => None,
        };
    }
    if let Some(b) = buckets.iter().find(|b| b.logical_id == id) {
        return match attr.as_str() {
            "Arn" => Some(format!("arn:aws:s3:::{}", b.local_name)),
            _ => None,
        };
    }
    None
}
