//! The local IAM check: every DynamoDB and SQS request a function makes on the local stack is
//! checked against the statements of that function's own policy in `template.yaml` (DynamoDB:
//! action, table or index, and `dynamodb:LeadingKeys`; SQS: action and queue), as AWS would
//! authorise it. DynamoDB Local and moto allow everything, so without this a call the policy does
//! not grant works here and fails only after deploying. The meter ([`crate::meter`]) runs the check on each request; `ferrocart run` fails
//! the command it ran (e.g. `make test`) if any request would have been denied.
//!
//! Functions are told apart by the SDK's app id (`AWS_SDK_UA_APP_ID`, set to each function's
//! logical id by the local stack), which the SDK sends in its user agent as `app/<id>`.

use anyhow::{Result, bail};
use serde_json::Value as Json;
use serde_yaml_ng::Value;
use std::collections::BTreeMap;

/// Where a grant applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Table,
    /// An index by name (`*` for every index).
    Index(String),
}

/// One `Allow` statement's DynamoDB part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableGrant {
    /// `dynamodb:GetItem`, ... (IAM wildcards allowed).
    pub actions: Vec<String>,
    pub targets: Vec<Target>,
    /// `ForAllValues:StringLike` patterns on `dynamodb:LeadingKeys`; `None`: any key.
    pub leading_keys: Option<Vec<String>>,
}

/// What one request (or one action of a transaction) asks for, as IAM sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub action: String,
    pub index: Option<String>,
    pub leading_keys: Vec<String>,
}

impl std::fmt::Display for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.action)?;
        if let Some(i) = &self.index {
            write!(f, " on index {i}")?;
        }
        if !self.leading_keys.is_empty() {
            write!(f, " for {}", self.leading_keys.join(", "))?;
        }
        Ok(())
    }
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Sequence(items) => items.iter().flat_map(strings).collect(),
        _ => Vec::new(),
    }
}

/// The logical id in `!GetAtt <id>.Arn` (or `!GetAtt [<id>, Arn]`).
fn get_att_arn(v: &Value) -> Option<String> {
    let Value::Tagged(t) = v else {
        return None;
    };
    if t.tag.to_string().trim_start_matches('!') != "GetAtt" {
        return None;
    }
    let name = match &t.value {
        Value::String(s) => s.clone(),
        parts @ Value::Sequence(_) => strings(parts).join("."),
        _ => return None,
    };
    name.strip_suffix(".Arn").map(str::to_string)
}

/// `!GetAtt <table>.Arn` → the table; `!Sub "${<table>.Arn}/index/<name>"` → that index; anything
/// else (another resource) → `None`.
fn target(v: &Value, table: &str) -> Option<Target> {
    if let Some(id) = get_att_arn(v) {
        return (id == table).then_some(Target::Table);
    }
    let Value::Tagged(t) = v else {
        return None;
    };
    if t.tag.to_string().trim_start_matches('!') != "Sub" {
        return None;
    }
    let rest = t
        .value
        .as_str()?
        .strip_prefix(&format!("${{{table}.Arn}}"))?;
    if rest.is_empty() {
        return Some(Target::Table);
    }
    rest.strip_prefix("/index/")
        .map(|i| Target::Index(i.to_string()))
}

/// The `Allow` statements of a function's inline policies. SAM's DynamoDB and SQS policy templates
/// are refused (the check would have to know what each expands to; the template writes statements).
fn allow_statements<'a>(function: &str, properties: &'a Value) -> Result<Vec<&'a Value>> {
    let mut out = Vec::new();
    for policy in properties
        .get("Policies")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
    {
        let Some(map) = policy.as_mapping() else {
            continue; // a managed policy by name
        };
        for (k, _) in map {
            if let Some(k) = k.as_str()
                && (k.starts_with("DynamoDB") || k.starts_with("SQS"))
            {
                bail!(
                    "{function}: SAM policy template {k} is not understood by the local IAM check; write the statement out"
                );
            }
        }
        out.extend(
            policy
                .get("Statement")
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten()
                .filter(|st| st.get("Effect").and_then(Value::as_str) == Some("Allow")),
        );
    }
    Ok(out)
}

fn actions_of(st: &Value, service: &str) -> Vec<String> {
    st.get("Action")
        .map(strings)
        .unwrap_or_default()
        .into_iter()
        .filter(|a| a.starts_with(service))
        .collect()
}

fn resources_of(st: &Value) -> Vec<&Value> {
    match st.get("Resource") {
        Some(Value::Sequence(items)) => items.iter().collect(),
        Some(v) => vec![v],
        None => Vec::new(),
    }
}

/// A function's DynamoDB grants (on the template's table) and SQS grants.
#[derive(Debug, Clone, Default)]
pub struct Grants {
    pub tables: Vec<TableGrant>,
    pub queues: Vec<QueueGrant>,
}

/// An `Allow` of SQS actions, on the resources of its statement (logical ids of `!GetAtt X.Arn`;
/// only queues matter, so a table in the same statement is harmless).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueGrant {
    pub actions: Vec<String>,
    pub resources: Vec<String>,
}

/// The DynamoDB grants on `table` (if the template has one) and the SQS grants in a function's
/// `Policies`.
pub fn grants(function: &str, properties: &Value, table: Option<&str>) -> Result<Grants> {
    let mut out = Grants::default();
    for st in allow_statements(function, properties)? {
        let resources = resources_of(st);
        let actions = actions_of(st, "dynamodb:");
        let targets: Vec<Target> = table
            .map(|table| resources.iter().filter_map(|r| target(r, table)).collect())
            .unwrap_or_default();
        if !actions.is_empty() && !targets.is_empty() {
            let leading_keys = st
                .get("Condition")
                .and_then(|c| c.get("ForAllValues:StringLike"))
                .and_then(|c| c.get("dynamodb:LeadingKeys"))
                .map(strings);
            out.tables.push(TableGrant {
                actions,
                targets,
                leading_keys,
            });
        }
        let actions = actions_of(st, "sqs:");
        let ids: Vec<String> = resources.iter().filter_map(|r| get_att_arn(r)).collect();
        if !actions.is_empty() && !ids.is_empty() {
            out.queues.push(QueueGrant {
                actions,
                resources: ids,
            });
        }
    }
    Ok(out)
}

/// Whether `grants` allow an SQS API action on a queue (by logical id). `SendMessageBatch` is
/// authorised as `sqs:SendMessage`, `DeleteMessageBatch` as `sqs:DeleteMessage`, and so on.
pub fn queue_allowed(grants: &[QueueGrant], api_action: &str, queue: &str) -> bool {
    let action = format!("sqs:{}", api_action.trim_end_matches("Batch"));
    grants.iter().any(|g| {
        g.actions.iter().any(|a| string_like(a, &action)) && g.resources.iter().any(|q| q == queue)
    })
}

/// IAM's `StringLike`: `*` any run of characters, `?` any one.
pub fn string_like(pattern: &str, value: &str) -> bool {
    fn go(p: &[char], v: &[char]) -> bool {
        match (p.first(), v.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], v) || (!v.is_empty() && go(p, &v[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &v[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &v[1..]),
            _ => false,
        }
    }
    let (p, v): (Vec<char>, Vec<char>) = (pattern.chars().collect(), value.chars().collect());
    go(&p, &v)
}

pub fn allowed(grants: &[TableGrant], access: &Access) -> bool {
    grants.iter().any(|g| {
        g.actions.iter().any(|a| string_like(a, &access.action))
            && g.targets.iter().any(|t| match (t, &access.index) {
                (Target::Table, None) => true,
                (Target::Index(pattern), Some(i)) => string_like(pattern, i),
                _ => false,
            })
            && match &g.leading_keys {
                None => true,
                Some(patterns) => access
                    .leading_keys
                    .iter()
                    .all(|k| patterns.iter().any(|p| string_like(p, k))),
            }
    })
}

/// The table's partition key attribute, and each index's, from the table's properties; and
/// every key attribute (hash and range) of the table and of each index.
#[derive(Debug, Clone, Default)]
pub struct KeyNames {
    pub table: String,
    pub indexes: BTreeMap<String, String>,
    pub table_keys: Vec<String>,
    pub index_keys: BTreeMap<String, Vec<String>>,
}

impl KeyNames {
    pub fn from_table(properties: &Value) -> Self {
        let hash = |schema: Option<&Value>| {
            schema
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten()
                .find(|k| k.get("KeyType").and_then(Value::as_str) == Some("HASH"))
                .and_then(|k| k.get("AttributeName").and_then(Value::as_str))
                .unwrap_or_default()
                .to_string()
        };
        let all = |schema: Option<&Value>| -> Vec<String> {
            schema
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten()
                .filter_map(|k| k.get("AttributeName").and_then(Value::as_str))
                .map(str::to_string)
                .collect()
        };
        let indexes = || {
            properties
                .get("GlobalSecondaryIndexes")
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten()
        };
        KeyNames {
            table_keys: all(properties.get("KeySchema")),
            index_keys: indexes()
                .filter_map(|i| {
                    Some((
                        i.get("IndexName")?.as_str()?.to_string(),
                        all(i.get("KeySchema")),
                    ))
                })
                .collect(),
            table: hash(properties.get("KeySchema")),
            indexes: properties
                .get("GlobalSecondaryIndexes")
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten()
                .filter_map(|i| {
                    Some((
                        i.get("IndexName")?.as_str()?.to_string(),
                        hash(i.get("KeySchema")),
                    ))
                })
                .collect(),
        }
    }
}

fn key_of(item: &Json, attr: &str) -> Option<String> {
    item[attr]["S"].as_str().map(str::to_string)
}

/// The partition key value a Query's key condition fixes (`<attr> = :v`, the name possibly an
/// `#alias`).
fn query_key(req: &Json, attr: &str) -> Option<String> {
    let cond = req["KeyConditionExpression"].as_str()?;
    let names = &req["ExpressionAttributeNames"];
    cond.split(" AND ")
        .chain(cond.split(" and "))
        .filter_map(|part| part.split_once('='))
        .find_map(|(lhs, rhs)| {
            let lhs = lhs.trim().trim_start_matches('(');
            let name = names[lhs].as_str().unwrap_or(lhs);
            (name == attr).then(|| {
                let placeholder = rhs.trim().trim_end_matches(')');
                req["ExpressionAttributeValues"][placeholder]["S"]
                    .as_str()
                    .map(str::to_string)
            })?
        })
}

/// What a DynamoDB request asks for, action by action (a transaction is authorised per item).
pub fn accesses(op: &str, req: &Json, keys: &KeyNames) -> Vec<Access> {
    let single = |action: &str, key: Option<String>| Access {
        action: format!("dynamodb:{action}"),
        index: None,
        leading_keys: key.into_iter().collect(),
    };
    match op {
        "GetItem" | "UpdateItem" | "DeleteItem" => {
            vec![single(op, key_of(&req["Key"], &keys.table))]
        }
        "PutItem" => vec![single(op, key_of(&req["Item"], &keys.table))],
        "Query" => {
            let index = req["IndexName"].as_str().map(str::to_string);
            let attr = index
                .as_ref()
                .and_then(|i| keys.indexes.get(i))
                .unwrap_or(&keys.table);
            vec![Access {
                action: "dynamodb:Query".into(),
                leading_keys: query_key(req, attr).into_iter().collect(),
                index,
            }]
        }
        "BatchGetItem" => vec![Access {
            action: "dynamodb:BatchGetItem".into(),
            index: None,
            leading_keys: req["RequestItems"]
                .as_object()
                .into_iter()
                .flatten()
                .flat_map(|(_, t)| t["Keys"].as_array().cloned().unwrap_or_default())
                .filter_map(|k| key_of(&k, &keys.table))
                .collect(),
        }],
        "BatchWriteItem" => vec![Access {
            action: "dynamodb:BatchWriteItem".into(),
            index: None,
            leading_keys: req["RequestItems"]
                .as_object()
                .into_iter()
                .flatten()
                .flat_map(|(_, t)| t.as_array().cloned().unwrap_or_default())
                .filter_map(|w| {
                    key_of(&w["PutRequest"]["Item"], &keys.table)
                        .or_else(|| key_of(&w["DeleteRequest"]["Key"], &keys.table))
                })
                .collect(),
        }],
        "TransactWriteItems" | "TransactGetItems" => req["TransactItems"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|item| {
                let (kind, body) = item.as_object()?.iter().next()?;
                let action = match kind.as_str() {
                    "Put" => "PutItem",
                    "Update" => "UpdateItem",
                    "Delete" => "DeleteItem",
                    "ConditionCheck" => "ConditionCheckItem",
                    "Get" => "GetItem",
                    _ => return None,
                };
                let key = key_of(&body["Key"], &keys.table)
                    .or_else(|| key_of(&body["Item"], &keys.table));
                Some(single(action, key))
            })
            .collect(),
        other => vec![single(other, None)],
    }
}

/// The app id in an SDK user agent (`... app/<id> ...`).
pub fn caller(user_agent: &str) -> Option<&str> {
    user_agent
        .split_whitespace()
        .find_map(|part| part.strip_prefix("app/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TEMPLATE: &str = r#"
Policies:
  - AWSSecretsManagerGetSecretValuePolicy:
      SecretArn: !Ref JwtSecret
  - Version: "2012-10-17"
    Statement:
      - Effect: Allow
        Action: [dynamodb:GetItem]
        Resource: !GetAtt Table.Arn
        Condition:
          ForAllValues:StringLike:
            dynamodb:LeadingKeys: ["SESSION#*"]
      - Effect: Allow
        Action: dynamodb:Query
        Resource: !Sub "${Table.Arn}/index/gsi1"
        Condition:
          ForAllValues:StringLike:
            dynamodb:LeadingKeys: ["USER#*"]
      - Effect: Allow
        Action: [dynamodb:PutItem, dynamodb:UpdateItem, sqs:SendMessage]
        Resource: [!GetAtt Table.Arn, !GetAtt Queue.Arn]
        Condition:
          ForAllValues:StringLike:
            dynamodb:LeadingKeys: ["CART#*", "ORDER#?"]
"#;

    fn grants_of(yaml: &str) -> Grants {
        let props: Value = serde_yaml_ng::from_str(yaml).unwrap();
        super::grants("F", &props, Some("Table")).unwrap()
    }

    fn keys() -> KeyNames {
        KeyNames {
            table: "pk".into(),
            indexes: BTreeMap::from([("gsi1".into(), "gsi1pk".into())]),
            ..KeyNames::default()
        }
    }

    #[test]
    fn statements_are_read_with_their_targets_and_keys() {
        let g = grants_of(TEMPLATE).tables;
        assert_eq!(g.len(), 3);
        assert_eq!(g[1].targets, [Target::Index("gsi1".into())]);
        assert_eq!(g[2].actions, ["dynamodb:PutItem", "dynamodb:UpdateItem"]);
        assert_eq!(g[2].targets, [Target::Table]);
        let managed: Value =
            serde_yaml_ng::from_str("Policies: [{DynamoDBCrudPolicy: {TableName: t}}]").unwrap();
        assert!(super::grants("F", &managed, Some("Table")).is_err());
    }

    #[test]
    fn requests_are_checked_like_iam_would() {
        let (g, k) = (grants_of(TEMPLATE).tables, keys());
        let ok = |op: &str, req: Json| accesses(op, &req, &k).iter().all(|a| allowed(&g, a));
        assert!(ok(
            "GetItem",
            json!({"Key": {"pk": {"S": "SESSION#1"}, "sk": {"S": "S"}}})
        ));
        assert!(!ok(
            "GetItem",
            json!({"Key": {"pk": {"S": "USER#1"}, "sk": {"S": "S"}}})
        ));
        assert!(!ok("DeleteItem", json!({"Key": {"pk": {"S": "CART#1"}}})));
        // A Query on the index is checked against the index's partition key ...
        let q = |index: Option<&str>, v: &str| {
            let mut r = json!({"KeyConditionExpression": "#k = :pk AND begins_with(sk, :p)",
                "ExpressionAttributeNames": {"#k": if index.is_some() {"gsi1pk"} else {"pk"}},
                "ExpressionAttributeValues": {":pk": {"S": v}, ":p": {"S": "X"}}});
            if let Some(i) = index {
                r["IndexName"] = json!(i);
            }
            r
        };
        assert!(ok("Query", q(Some("gsi1"), "USER#1")));
        assert!(!ok("Query", q(Some("gsi1"), "PRODUCT#1")));
        // ... and one on the table needs a grant on the table.
        assert!(!ok("Query", q(None, "USER#1")));
        // Each action of a transaction is authorised on its own.
        let tx = |pk: &str| {
            json!({"TransactItems": [
                {"Put": {"Item": {"pk": {"S": "CART#1"}}}},
                {"Update": {"Key": {"pk": {"S": pk}}}}
            ]})
        };
        assert!(ok("TransactWriteItems", tx("ORDER#7")));
        assert!(!ok("TransactWriteItems", tx("ORDER#77")));
        assert!(!ok(
            "TransactWriteItems",
            json!({"TransactItems": [{"Delete": {"Key": {"pk": {"S": "CART#1"}}}}]})
        ));
        // Every key of a batch must be allowed.
        let batch = |second: &str| json!({"RequestItems": {"t": {"Keys": [{"pk": {"S": "SESSION#1"}}, {"pk": {"S": second}}]}}});
        assert!(
            !ok("BatchGetItem", batch("SESSION#2")),
            "no BatchGetItem grant"
        );
    }

    #[test]
    fn queue_grants_name_their_queues() {
        let g = grants_of(TEMPLATE).queues;
        assert_eq!(
            g,
            [QueueGrant {
                actions: vec!["sqs:SendMessage".into()],
                resources: vec!["Table".into(), "Queue".into()]
            }]
        );
        assert!(queue_allowed(&g, "SendMessage", "Queue"));
        assert!(queue_allowed(&g, "SendMessageBatch", "Queue"));
        assert!(!queue_allowed(&g, "SendMessage", "OtherQueue"));
        assert!(!queue_allowed(&g, "DeleteMessage", "Queue"));
        let template: Value =
            serde_yaml_ng::from_str("Policies: [{SQSSendMessagePolicy: {QueueName: q}}]").unwrap();
        assert!(super::grants("F", &template, Some("Table")).is_err());
    }

    #[test]
    fn string_like_and_caller() {
        assert!(string_like("CART#*", "CART#abc"));
        assert!(string_like("*", ""));
        assert!(string_like("A?C", "ABC"));
        assert!(!string_like("CART#*", "CARTX"));
        assert!(!string_like("A?C", "AC"));
        assert_eq!(
            caller(
                "aws-sdk-rust/1.3 ua/2.1 api/dynamodb/1.9 os/linux lang/rust/1.90 app/AddToCartFunction"
            ),
            Some("AddToCartFunction")
        );
        assert_eq!(caller("aws-sdk-rust/1.3 os/linux"), None);
    }

    /// Issue 12 hole 12: the public catalog functions could Query any index partition, and gsi1
    /// also holds customers' sessions and orders. Now their grants name the catalog's partitions.
    #[test]
    fn public_functions_read_only_the_catalogs_index_partitions() {
        let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let tpl = crate::local::load_template(&root).unwrap();
        let grants = |f: &str| {
            tpl.functions
                .iter()
                .find(|x| x.logical_id == f)
                .unwrap()
                .grants
                .tables
                .clone()
        };
        let query = |index: &str, key: &str| Access {
            action: "dynamodb:Query".into(),
            index: Some(index.into()),
            leading_keys: vec![key.into()],
        };
        let products = grants("ListProductsFunction");
        assert!(allowed(&products, &query("gsi1", "CATEGORY#kitchen")));
        assert!(allowed(&products, &query("gsi2", "BRAND#tern")));
        assert!(allowed(&products, &query("gsi3", "CATALOG#ACTIVE")));
        let categories = grants("ListCategoriesFunction");
        assert!(allowed(&categories, &query("gsi1", "CATALOG#CATEGORIES")));
        for g in [&products, &categories] {
            assert!(!allowed(g, &query("gsi1", "USER#01abc")));
            assert!(!allowed(g, &query("due", "DUE#0")));
        }
    }
}
