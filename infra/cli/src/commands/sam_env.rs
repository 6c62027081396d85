//! `ferrocart sam-env`: prints `infra/sam-local-env.json` (kept current by the test below).

use crate::local::{load_template, project_root};
use crate::{services, template};
use anyhow::Result;
use std::collections::BTreeMap;

pub fn run() -> Result<()> {
    print!("{}", sam_local_env(&load_template(&project_root()?)?)?);
    Ok(())
}

/// `infra/sam-local-env.json`: what `sam local invoke|start-api --env-vars` needs so that the
/// functions, in Docker with `--docker-network host`, use the servers `make dev` runs: every
/// variable a function declares, with its local value, and the SDK pointed at moto and DynamoDB
/// Local directly (`sam local` overrides only variables the template declares, hence the
/// template's `AWS_ENDPOINT_URL*` entries). A unit test keeps the committed file current.
pub fn sam_local_env(tpl: &template::Template) -> Result<String> {
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    out.insert(
        "Parameters".into(),
        BTreeMap::from([
            (
                "AWS_ENDPOINT_URL".into(),
                format!("http://127.0.0.1:{}", services::MOTO_PORT),
            ),
            (
                "AWS_ENDPOINT_URL_DYNAMODB".into(),
                format!("http://127.0.0.1:{}", services::DYNAMODB_PORT),
            ),
        ]),
    );
    for f in &tpl.functions {
        let mut env = f.env.clone();
        // sam local runs the Lambda image (Amazon Linux), whose bundle path the template names.
        env.remove("SSL_CERT_FILE");
        out.insert(f.logical_id.clone(), env);
    }
    Ok(serde_json::to_string_pretty(&out)? + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn the_sam_local_env_file_is_current() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let want = sam_local_env(&load_template(&root).expect("template loads")).expect("renders");
        let have =
            std::fs::read_to_string(root.join("infra/sam-local-env.json")).unwrap_or_default();
        assert!(
            have == want,
            "infra/sam-local-env.json is stale: run `target/debug/ferrocart sam-env > infra/sam-local-env.json`"
        );
    }
}
