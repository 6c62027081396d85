//! The routes in template.yaml, openapi.yaml and the running local stack must be the same set.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use ferrocart_tests::*;
use serde_yaml_ng::Value;
use std::collections::BTreeSet;

fn yaml(name: &str) -> Value {
    let text = std::fs::read_to_string(repo_root().join(name)).expect(name);
    serde_yaml_ng::from_str(&text).expect(name)
}

fn template_routes() -> BTreeSet<String> {
    let t = yaml("template.yaml");
    let mut out = BTreeSet::new();
    for (_, res) in t["Resources"].as_mapping().unwrap() {
        if res["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        for (_, ev) in res["Properties"]["Events"]
            .as_mapping()
            .into_iter()
            .flatten()
        {
            if ev["Type"].as_str() == Some("HttpApi") {
                let p = &ev["Properties"];
                if p["Path"].is_null() {
                    continue; // the $default route: see default_route_knows_every_route
                }
                out.insert(format!(
                    "{} {}",
                    p["Method"].as_str().unwrap().to_uppercase(),
                    p["Path"].as_str().unwrap()
                ));
            }
        }
    }
    out
}

fn openapi_routes() -> BTreeSet<String> {
    let o = yaml("openapi.yaml");
    let mut out = BTreeSet::new();
    for (path, ops) in o["paths"].as_mapping().unwrap() {
        for (method, _) in ops.as_mapping().unwrap() {
            let m = method.as_str().unwrap();
            if ["get", "put", "post", "delete", "patch", "head", "options"].contains(&m) {
                out.insert(format!("{} {}", m.to_uppercase(), path.as_str().unwrap()));
            }
        }
    }
    out
}

#[tokio::test]
async fn template_openapi_and_local_stack_agree() {
    let template = template_routes();
    assert!(template.contains("POST /auth/register"), "{template:?}");
    assert_eq!(template, openapi_routes(), "template.yaml vs openapi.yaml");
    let local = control_json("/__local/routes").await;
    let local: BTreeSet<String> = local
        .as_array()
        .expect("a list of routes")
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r["method"].as_str().unwrap(),
                r["path"].as_str().unwrap()
            )
        })
        .collect();
    let default = "ANY $default".to_string();
    assert!(local.contains(&default), "{local:?}");
    let local: BTreeSet<String> = local.into_iter().filter(|r| *r != default).collect();
    assert_eq!(template, local, "template.yaml vs the local stack");
}

/// The `$default` route's function answers 405 from its own copy of the route table: it must be
/// the template's, or a new route would be answered 405 by the fallback's Allow header wrongly.
#[test]
fn default_route_knows_every_route() {
    let t = yaml("template.yaml");
    let defaults: Vec<&str> = t["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, res)| {
            res["Properties"]["Events"]
                .as_mapping()
                .into_iter()
                .flatten()
                .any(|(_, ev)| {
                    ev["Type"].as_str() == Some("HttpApi") && ev["Properties"]["Path"].is_null()
                })
        })
        .map(|(id, _)| id.as_str().unwrap())
        .collect();
    assert_eq!(defaults, ["RouteFallbackFunction"], "one $default route");
    let table: BTreeSet<String> = route_fallback::ROUTES
        .iter()
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    assert_eq!(table.len(), route_fallback::ROUTES.len(), "no route twice");
    assert_eq!(
        table,
        template_routes(),
        "route_fallback::ROUTES vs template.yaml"
    );
}

#[tokio::test]
async fn a_method_a_path_lacks_is_405_with_allow_and_an_unknown_path_404() {
    let http = client();
    for (method, path, status, allow) in [
        ("TRACE", "/cart", 405, Some("GET, OPTIONS")),
        ("PUT", "/products", 405, Some("GET, OPTIONS")),
        (
            "POST",
            "/cart/items/0190",
            405,
            Some("PATCH, DELETE, OPTIONS"),
        ),
        ("OPTIONS", "/checkout", 204, Some("POST, OPTIONS")),
        ("GET", "/nowhere", 404, None),
        ("TRACE", "/cart/items/", 404, None),
    ] {
        let r = http
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                format!("{}{path}", api_url()),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), status, "{method} {path}");
        assert_eq!(
            r.headers().get("allow").map(|v| v.to_str().unwrap()),
            allow,
            "{method} {path}"
        );
        if status != 204 {
            let body: serde_json::Value = r.json().await.unwrap();
            let code = if status == 405 {
                "method_not_allowed"
            } else {
                "not_found"
            };
            assert_eq!(body["error"]["code"], code, "{method} {path}: {body}");
        }
    }
}

#[test]
fn every_function_is_arm64_al2023_cargolambda_with_its_own_policy() {
    let t = yaml("template.yaml");
    let g = &t["Globals"]["Function"];
    assert_eq!(g["Runtime"].as_str(), Some("provided.al2023"));
    assert_eq!(g["Architectures"][0].as_str(), Some("arm64"));
    let mut binaries = BTreeSet::new();
    for (id, res) in t["Resources"].as_mapping().unwrap() {
        if res["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let id = id.as_str().unwrap();
        assert_eq!(
            res["Metadata"]["BuildMethod"].as_str(),
            Some("rust-cargolambda"),
            "{id}"
        );
        let bin = res["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap();
        assert!(
            binaries.insert(bin.to_string()),
            "{id}: binary {bin} used twice"
        );
        assert!(
            repo_root()
                .join("functions")
                .join(bin)
                .join("Cargo.toml")
                .is_file(),
            "{id}: functions/{bin} missing"
        );
        let policies = res["Properties"]["Policies"].as_sequence().expect(id);
        let text = serde_yaml_ng::to_string(policies).unwrap();
        assert!(
            !text.contains("dynamodb:*") && !text.contains("DynamoDBCrudPolicy"),
            "{id}: over-broad policy"
        );
    }
    // Every function crate is deployed.
    for entry in std::fs::read_dir(repo_root().join("functions")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            binaries.contains(&name),
            "functions/{name} is not in template.yaml"
        );
    }
}
