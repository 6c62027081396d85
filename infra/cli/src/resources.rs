//! Creates the template's DynamoDB tables in DynamoDB Local, from their CloudFormation properties.

use crate::template::Table;
use anyhow::{Context, Result, anyhow};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use serde_yaml_ng::Value;

fn s<'a>(v: &'a Value, k: &str) -> Result<&'a str> {
    v.get(k)
        .and_then(Value::as_str)
        .ok_or_else(|| anyhow!("missing {k}"))
}

fn key_schema(v: &Value) -> Result<Vec<KeySchemaElement>> {
    v.as_sequence()
        .ok_or_else(|| anyhow!("KeySchema must be a list"))?
        .iter()
        .map(|k| {
            Ok(KeySchemaElement::builder()
                .attribute_name(s(k, "AttributeName")?)
                .key_type(KeyType::from(s(k, "KeyType")?))
                .build()?)
        })
        .collect()
}

pub async fn create_table(client: &Client, table: &Table) -> Result<()> {
    let p = &table.properties;
    let mut req = client
        .create_table()
        .table_name(&table.local_name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_key_schema(Some(key_schema(
            p.get("KeySchema").unwrap_or(&Value::Null),
        )?));
    for a in p
        .get("AttributeDefinitions")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
    {
        req = req.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(s(a, "AttributeName")?)
                .attribute_type(ScalarAttributeType::from(s(a, "AttributeType")?))
                .build()?,
        );
    }
    for g in p
        .get("GlobalSecondaryIndexes")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
    {
        let proj = g.get("Projection").unwrap_or(&Value::Null);
        let mut projection = Projection::builder().projection_type(ProjectionType::from(
            proj.get("ProjectionType")
                .and_then(Value::as_str)
                .unwrap_or("ALL"),
        ));
        for attr in proj
            .get("NonKeyAttributes")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
        {
            if let Some(a) = attr.as_str() {
                projection = projection.non_key_attributes(a);
            }
        }
        req = req.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(s(g, "IndexName")?)
                .set_key_schema(Some(key_schema(
                    g.get("KeySchema").unwrap_or(&Value::Null),
                )?))
                .projection(projection.build())
                .build()?,
        );
    }
    if let Some(view) = p
        .get("StreamSpecification")
        .and_then(|v| v.get("StreamViewType"))
        .and_then(Value::as_str)
    {
        req = req.stream_specification(
            aws_sdk_dynamodb::types::StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(aws_sdk_dynamodb::types::StreamViewType::from(view))
                .build()?,
        );
    }
    match req.send().await {
        Ok(_) => {}
        Err(e) if format!("{e:?}").contains("ResourceInUseException") => {}
        Err(e) => return Err(anyhow!("creating table {}: {e:?}", table.local_name)),
    }
    let ttl = p.get("TimeToLiveSpecification");
    if let Some(ttl) = ttl
        && ttl.get("Enabled").and_then(Value::as_bool) == Some(true)
    {
        let result = client
            .update_time_to_live()
            .table_name(&table.local_name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(s(ttl, "AttributeName")?)
                    .enabled(true)
                    .build()?,
            )
            .send()
            .await;
        // Already enabled is fine on a re-run.
        if let Err(e) = result
            && !format!("{e:?}").contains("already enabled")
        {
            return Err(e).with_context(|| format!("enabling TTL on {}", table.local_name));
        }
    }
    Ok(())
}

/// Creates the template's queues in moto: dead-letter targets first, then the queues that redrive
/// to them, with their visibility timeout, retention, delay and redrive policy.
pub async fn create_queues(
    sqs: &aws_sdk_sqs::Client,
    tpl: &crate::template::Template,
) -> Result<()> {
    use aws_sdk_sqs::types::QueueAttributeName as A;
    let mut ordered: Vec<&crate::template::Resource> = tpl.queues.iter().collect();
    ordered.sort_by_key(|q| q.properties.get("RedrivePolicy").is_some());
    for q in ordered {
        let p = &q.properties;
        let mut req = sqs.create_queue().queue_name(&q.local_name);
        for (prop, attr) in [
            ("VisibilityTimeout", A::VisibilityTimeout),
            ("MessageRetentionPeriod", A::MessageRetentionPeriod),
            ("DelaySeconds", A::DelaySeconds),
            (
                "ReceiveMessageWaitTimeSeconds",
                A::ReceiveMessageWaitTimeSeconds,
            ),
        ] {
            if let Some(v) = p.get(prop).and_then(|v| v.as_u64()) {
                req = req.attributes(attr, v.to_string());
            }
        }
        if let Some(r) = p.get("RedrivePolicy") {
            let target = r
                .get("deadLetterTargetArn")
                .and_then(|v| crate::template::get_att(tag_arg(v)?, &tpl.buckets, &tpl.queues))
                .ok_or_else(|| {
                    anyhow!(
                        "{}: RedrivePolicy.deadLetterTargetArn must be !GetAtt <Queue>.Arn",
                        q.logical_id
                    )
                })?;
            let max = r
                .get("maxReceiveCount")
                .and_then(Value::as_u64)
                .unwrap_or(5);
            req = req.attributes(
                A::RedrivePolicy,
                serde_json::json!({"deadLetterTargetArn": target, "maxReceiveCount": max})
                    .to_string(),
            );
        }
        req.send()
            .await
            .with_context(|| format!("creating queue {}", q.local_name))?;
        crate::log::say!(
            "[stack] queue {} created from template resource {}",
            q.local_name,
            q.logical_id
        );
    }
    Ok(())
}

fn tag_arg(v: &Value) -> Option<&Value> {
    match v {
        Value::Tagged(t) => Some(&t.value),
        Value::Mapping(m) => m.iter().next().map(|(_, v)| v),
        _ => None,
    }
}

/// A bucket's `CorsConfiguration` as it is with the storefront's origin (the local one), so the
/// storefront's browser uploads meet the same rules they do in AWS.
fn bucket_cors(props: &Value) -> Result<Option<aws_sdk_s3::types::CorsConfiguration>> {
    use crate::template::{storefront_list, with_storefront};
    use aws_sdk_s3::types::{CorsConfiguration, CorsRule};
    let Some(config) = props.get("CorsConfiguration").map(with_storefront) else {
        return Ok(None);
    };
    let mut rules = Vec::new();
    for r in config
        .get("CorsRules")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
    {
        rules.push(
            CorsRule::builder()
                .set_allowed_methods(Some(storefront_list(r, "AllowedMethods")))
                .set_allowed_origins(Some(storefront_list(r, "AllowedOrigins")))
                .set_allowed_headers(Some(storefront_list(r, "AllowedHeaders")))
                .set_expose_headers(Some(storefront_list(r, "ExposedHeaders")))
                .set_max_age_seconds(
                    r.get("MaxAge")
                        .and_then(Value::as_i64)
                        .and_then(|n| i32::try_from(n).ok()),
                )
                .build()?,
        );
    }
    if rules.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        CorsConfiguration::builder()
            .set_cors_rules(Some(rules))
            .build()?,
    ))
}

/// Creates the template's buckets in moto and wires their queue notifications (event types and
/// key-prefix filters as declared), so uploads reach the queue as they do in AWS.
pub async fn create_buckets(
    s3: &aws_sdk_s3::Client,
    tpl: &crate::template::Template,
) -> Result<()> {
    use aws_sdk_s3::types::{
        Event, FilterRule, FilterRuleName, NotificationConfiguration,
        NotificationConfigurationFilter, QueueConfiguration, S3KeyFilter,
    };
    for b in &tpl.buckets {
        match s3.create_bucket().bucket(&b.local_name).send().await {
            Ok(_) => {}
            Err(e) if format!("{e:?}").contains("BucketAlreadyOwnedByYou") => {}
            Err(e) => return Err(anyhow!("creating bucket {}: {e:?}", b.local_name)),
        }
        let mut configs = Vec::new();
        let queue_configs = b
            .properties
            .get("NotificationConfiguration")
            .and_then(|n| n.get("QueueConfigurations"))
            .and_then(Value::as_sequence);
        for qc in queue_configs.into_iter().flatten() {
            let arn = qc
                .get("Queue")
                .and_then(tag_arg)
                .and_then(|a| crate::template::get_att(a, &tpl.buckets, &tpl.queues))
                .ok_or_else(|| {
                    anyhow!(
                        "{}: notification Queue must be !GetAtt <Queue>.Arn",
                        b.logical_id
                    )
                })?;
            let mut c = QueueConfiguration::builder()
                .queue_arn(arn)
                .events(Event::from(s(qc, "Event")?));
            let rules = qc
                .get("Filter")
                .and_then(|f| f.get("S3Key"))
                .and_then(|k| k.get("Rules"))
                .and_then(Value::as_sequence);
            if let Some(rules) = rules {
                let mut key = S3KeyFilter::builder();
                for r in rules {
                    key = key.filter_rules(
                        FilterRule::builder()
                            .name(FilterRuleName::from(s(r, "Name")?.to_lowercase().as_str()))
                            .value(s(r, "Value")?)
                            .build(),
                    );
                }
                c = c.filter(
                    NotificationConfigurationFilter::builder()
                        .key(key.build())
                        .build(),
                );
            }
            configs.push(c.build()?);
        }
        if !configs.is_empty() {
            s3.put_bucket_notification_configuration()
                .bucket(&b.local_name)
                .notification_configuration(
                    NotificationConfiguration::builder()
                        .set_queue_configurations(Some(configs))
                        .build(),
                )
                .send()
                .await
                .with_context(|| format!("notification configuration of {}", b.local_name))?;
        }
        if let Some(cors) = bucket_cors(&b.properties)? {
            s3.put_bucket_cors()
                .bucket(&b.local_name)
                .cors_configuration(cors)
                .send()
                .await
                .with_context(|| format!("CORS configuration of {}", b.local_name))?;
        }
        crate::log::say!(
            "[stack] bucket {} created from template resource {}",
            b.local_name,
            b.logical_id
        );
    }
    Ok(())
}

/// Verifies, in moto's SES, every sender address the functions are configured with
/// (`EMAIL_SENDER`), as `sam deploy` users do once in the SES console: SES refuses mail from
/// unverified identities, locally too.
pub async fn verify_senders(
    ses: &aws_sdk_sesv2::Client,
    tpl: &crate::template::Template,
) -> Result<()> {
    let mut senders: Vec<&String> = tpl
        .functions
        .iter()
        .filter_map(|f| f.env.get("EMAIL_SENDER"))
        .collect();
    senders.sort();
    senders.dedup();
    for sender in senders {
        ses.create_email_identity()
            .email_identity(sender)
            .send()
            .await
            .with_context(|| format!("verifying SES sender {sender}"))?;
        crate::log::say!("[stack] SES sender {sender} verified");
    }
    Ok(())
}

/// Creates each template secret in the local Secrets Manager with its local value (the values in
/// `infra/local-secrets.json`; in AWS the template generates or you put them, README "Deploy").
pub async fn create_secrets(
    sm: &aws_sdk_secretsmanager::Client,
    tpl: &crate::template::Template,
) -> Result<()> {
    for s in &tpl.secrets {
        sm.create_secret()
            .name(&s.local_name)
            .secret_string(&s.value)
            .send()
            .await
            .with_context(|| format!("creating secret {}", s.local_name))?;
        crate::log::say!(
            "[stack] secret {} created from template resource {}",
            s.local_name,
            s.logical_id
        );
    }
    Ok(())
}
