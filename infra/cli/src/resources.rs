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
