//! `gavah user`: who may use the authenticated API (`gavah serve --review`),
//! with which role.

use crate::config::Config;
use std::io::Write;
use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum UserCommand {
    /// Add a user and print their API token. The token is shown this once and
    /// is not kept (only a hash of it is); pass it as
    /// `Authorization: Bearer TOKEN`.
    Add {
        /// The name their link decisions are recorded under.
        name: String,
        /// What they may do: reviewer (the review queue and link decisions).
        #[arg(long, default_value = "reviewer")]
        role: String,
    },
    /// List the users and their roles (never their tokens).
    List {
        #[arg(long, value_enum, default_value = "table")]
        format: crate::link::LinkFormat,
    },
    /// Remove a user: their token stops working at once.
    Remove { name: String },
}

pub fn user(c: &UserCommand, config: &Config, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    let mut app = crate::cli::open(config)?;
    match c {
        UserCommand::Add { name, role } => {
            let role: gavah_app::Role = role.parse()?;
            let token = app.add_user(name, role)?;
            writeln!(
                out,
                "added {} as {}; their API token (shown once, keep it secret):",
                name.trim(),
                role.as_str()
            )?;
            writeln!(out, "{token}")?;
        }
        UserCommand::List { format } => {
            let users = app.users()?;
            match format {
                crate::link::LinkFormat::Json => {
                    writeln!(out, "{}", serde_json::to_string_pretty(&users)?)?;
                }
                crate::link::LinkFormat::Table => {
                    if users.is_empty() {
                        writeln!(out, "no users; `gavah user add NAME` adds one")?;
                    }
                    for u in users {
                        writeln!(out, "{}\t{}", u.name, u.role)?;
                    }
                }
            }
        }
        UserCommand::Remove { name } => {
            app.remove_user(name)?;
            writeln!(out, "removed {}; their token no longer works", name.trim())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
