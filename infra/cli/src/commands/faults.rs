//! `ferrocart faults`: inject AWS and Stripe faults into the running local stack (see faults.rs
//! and docs/local-stack.md): `set` a plan, `show` what was injected, `off`.

use crate::faults::{Kind, Plan, Rule, Target};
use crate::local::{CONTROL_PORT, http};
use anyhow::{Result, anyhow, bail};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Install a fault plan (replacing the current one)
    Set {
        /// The plan as JSON (`{"seed": 7, "rules": [...]}`), a file or - for standard input.
        #[arg(long, conflicts_with = "rule")]
        file: Option<String>,
        /// The seed the rolls are made from: the same seed replays the same faults.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// A rule: `target:kind:rate[:op[:function]]`, e.g.
        /// `dynamodb:conflict:0.1:TransactWriteItems:PaymentWebhookFunction` or `stripe:timeout:0.05`.
        #[arg(long)]
        rule: Vec<String>,
    },
    /// The plan in force and the faults injected so far, by kind
    Show,
    /// Stop injecting faults
    Off,
}

fn parse_rule(text: &str) -> Result<Rule> {
    let parts: Vec<&str> = text.split(':').collect();
    if !(3..=5).contains(&parts.len()) {
        bail!("a rule is target:kind:rate[:op[:function]], got {text:?}");
    }
    let target: Target = serde_json::from_value(parts[0].into())
        .map_err(|_| anyhow!("target must be dynamodb, sqs or stripe: {:?}", parts[0]))?;
    let kind: Kind = serde_json::from_value(parts[1].into()).map_err(|_| {
        anyhow!(
            "kind must be conflict, throttle, throughput_exceeded, server_error, timeout, lost_answer, duplicate or kill: {:?}",
            parts[1]
        )
    })?;
    let rate: f64 = parts[2]
        .parse()
        .map_err(|_| anyhow!("rate must be a number from 0 to 1: {:?}", parts[2]))?;
    let nonempty = |i: usize| {
        parts
            .get(i)
            .filter(|s| !s.is_empty())
            .map(|s| s.to_string())
    };
    Ok(Rule {
        target,
        kind,
        op: nonempty(3),
        function: nonempty(4),
        matching: None,
        rate,
        times: None,
        delay_ms: None,
    })
}

pub async fn run(args: Args) -> Result<()> {
    let url = format!("http://127.0.0.1:{CONTROL_PORT}/__local/faults");
    let http = http();
    let answer = match args.action {
        Action::Set { file, seed, rule } => {
            let plan: Plan = match file.as_deref() {
                Some("-") => serde_json::from_reader(std::io::stdin())?,
                Some(path) => serde_json::from_str(&std::fs::read_to_string(path)?)?,
                None => Plan {
                    seed,
                    rules: rule.iter().map(|r| parse_rule(r)).collect::<Result<_>>()?,
                    page_bytes: None,
                },
            };
            plan.validate().map_err(|e| anyhow!(e))?;
            http.put(&url).json(&plan).send().await?
        }
        Action::Show => http.get(&url).send().await?,
        Action::Off => http.delete(&url).send().await?,
    };
    let status = answer.status();
    let v: serde_json::Value = answer.json().await.unwrap_or_default();
    println!("{}", serde_json::to_string_pretty(&v)?);
    if !status.is_success() {
        bail!("the local stack answered {status} (is it running? `make dev`)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn rules_parse_from_the_command_line() {
        let r =
            super::parse_rule("dynamodb:conflict:0.1:TransactWriteItems:PaymentWebhookFunction")
                .unwrap();
        assert_eq!(r.op.as_deref(), Some("TransactWriteItems"));
        assert_eq!(r.function.as_deref(), Some("PaymentWebhookFunction"));
        assert_eq!(r.rate, 0.1);
        let r = super::parse_rule("stripe:timeout:0.05").unwrap();
        assert!(r.op.is_none() && r.function.is_none());
        assert!(super::parse_rule("dynamodb:melt:0.1").is_err());
        assert!(super::parse_rule("dynamodb:conflict").is_err());
    }
}
