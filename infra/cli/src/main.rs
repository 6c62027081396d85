//! `ferrocart`: the developer's command for the local stack and admin tasks. `ferrocart --help`
//! lists every command; each lives in its own module under `commands/`.
//!
//! Data commands target the local stack unless `--aws` is given (then the usual AWS configuration
//! chain applies and `--table` names the deployed table).

mod bench;
mod commands;
mod faults;
mod gateway;
mod iam;
mod lambda;
mod local;
mod log;
mod meter;
mod procstat;
mod resources;
mod seed;
mod services;
mod sqs;
mod stack;
mod storefront;
mod streams;
mod template;

use clap::{Parser, Subcommand};
use commands::{
    bench_functions, bench_password, bench_resize, create_admin, dev, emails, pay, routes, run,
    sam_env,
};

#[derive(Debug, Parser)]
#[command(
    name = "ferrocart",
    about = "Ferrocart's local stack, demo data and admin tasks"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the whole shop locally (http://127.0.0.1:3000) with demo data, until Ctrl-C
    Dev(dev::Args),
    /// Bring the stack up, run a command against it, tear it down (exit 3 on IAM denials)
    Run(run::Args),
    /// Load the demo catalog, stock and accounts (re-runnable)
    Seed(commands::seed::Args),
    /// Create an admin account (an existing one only with --promote-existing)
    CreateAdmin(create_admin::Args),
    /// Pay a local order's PaymentIntent at the Stripe stand-in with a test card
    Pay(pay::Args),
    /// Show the emails the local SES has accepted
    Emails(emails::Args),
    /// DynamoDB units and SQS requests the local functions used
    Meter(commands::meter::Args),
    /// Inject DynamoDB, SQS and Stripe faults into the running stack
    Faults(commands::faults::Args),
    /// Rebuild the running stack's search index from the active products
    SearchRebuild,
    /// Run the recommendations job now over the data lake's window (prints its report)
    Recommend(commands::jobs::RecommendArgs),
    /// Print infra/sam-local-env.json (sam local's --env-vars for the local servers)
    SamEnv,
    /// Print the HTTP routes declared in template.yaml, as JSON
    Routes,
    /// Time Argon2id at the parameters in use
    BenchPassword(bench_password::Args),
    /// Time image-resize on a 12 MP JPEG
    BenchResize(bench_resize::Args),
    /// Every function's cold start, memory, CPU and size against hello-world
    BenchFunctions(bench_functions::Args),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Dev(a) => dev::run(a).await,
        Command::Run(a) => run::run(a).await,
        Command::Seed(a) => commands::seed::run(a).await,
        Command::CreateAdmin(a) => create_admin::run(a).await,
        Command::Pay(a) => pay::run(a).await,
        Command::Emails(a) => emails::run(a).await,
        Command::Meter(a) => commands::meter::run(a).await,
        Command::Faults(a) => commands::faults::run(a).await,
        Command::SearchRebuild => commands::jobs::search_rebuild().await,
        Command::Recommend(a) => commands::jobs::recommend(a).await,
        Command::SamEnv => sam_env::run(),
        Command::Routes => routes::run(),
        Command::BenchPassword(a) => bench_password::run(a),
        Command::BenchResize(a) => bench_resize::run(a),
        Command::BenchFunctions(a) => bench_functions::run(a).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
