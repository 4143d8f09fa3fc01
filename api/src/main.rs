//! The `sanda` server binary.

fn main() -> std::process::ExitCode {
    api::cli::main()
}
