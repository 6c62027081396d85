//! `ferrocart routes`: the HTTP routes declared in template.yaml, as JSON.

use crate::local::{load_template, project_root};
use anyhow::Result;

pub fn run() -> Result<()> {
    let routes = load_template(&project_root()?)?.routes;
    println!("{}", serde_json::to_string_pretty(&routes)?);
    Ok(())
}
