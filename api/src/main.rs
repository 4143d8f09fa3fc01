//! The `sanda` server binary.

/// jemalloc instead of glibc's malloc: under load glibc kept every thread arena's large
/// freed blocks (Argon2's 19 MiB, tract's tensors), and the server's memory grew with the
/// number of threads that had ever run a request.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    api::cli::main()
}
