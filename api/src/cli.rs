//! The `sanda` command line.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::settings::Settings;
use crate::startup::{Application, Options};

#[derive(Debug, Parser)]
#[command(name = "sanda", version, about = "Sanda (三大) work-safety training and exam server")]
struct Cli {
    /// Load the demo data (Shandong, 临沂市, enterprises, one login per role) and print the logins.
    #[arg(long)]
    demo: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve {
        /// Load the demo data and print the demo logins.
        #[arg(long)]
        demo: bool,
    },
    /// Run the server with the demo data (same as `serve --demo`).
    Demo,
    /// Manage accounts from the console.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Print the OpenAPI contract (the content of openapi.yaml).
    Openapi,
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Create a province admin; prints a one-time password unless one is given.
    Create {
        #[arg(long)]
        username: String,
        /// The password (else generated, to be changed at first login).
        #[arg(long, env = "SANDA_NEW_ADMIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
}

/// Runs the command line; the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    crate::telemetry::init();
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("sanda: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Some(Command::Openapi) => {
            print!("{}", crate::openapi::yaml());
            Ok(())
        }
        Some(Command::Admin { command: AdminCommand::Create { username, password } }) => {
            create_admin(&settings, &username, password.as_deref())
        }
        Some(Command::Demo) => serve(settings, Options { demo: true, ..Options::default() }),
        Some(Command::Serve { demo }) => serve(settings, Options { demo: demo || cli.demo, ..Options::default() }),
        None => serve(settings, Options { demo: cli.demo, ..Options::default() }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sanda: {e}");
            let mut source = std::error::Error::source(e.as_ref());
            while let Some(s) = source {
                eprintln!("  caused by: {s}");
                source = s.source();
            }
            ExitCode::FAILURE
        }
    }
}

type AnyError = Box<dyn std::error::Error>;

fn serve(settings: Settings, options: Options) -> Result<(), AnyError> {
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(settings, options).await?;
        app.run_until_stopped().await?;
        tracing::info!("stopped");
        Ok(())
    })
}

fn create_admin(settings: &Settings, username: &str, password: Option<&str>) -> Result<(), AnyError> {
    let state = crate::startup::prepare(settings, &Options::default())?;
    let mut conn = models::db::get(&state.pool)?;
    let admin = crate::bootstrap::create_province_admin(&mut conn, &state.cipher, settings, username, password)?;
    match admin.generated_password {
        Some(p) => println!("created province admin `{}` with one-time password: {p}", admin.username),
        None => println!("created province admin `{}`", admin.username),
    }
    Ok(())
}
