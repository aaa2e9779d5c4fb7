use clap::Parser;
use kontosparr::cli::{Cli, CliError, run};
use std::process::ExitCode;

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::AuditBroken) => ExitCode::from(1),
        Err(e) => {
            eprintln!("kontosparr: {e}");
            ExitCode::from(2)
        }
    }
}
