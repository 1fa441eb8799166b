//! The `keyway` binary: everything happens in `keyway::cli`.

fn main() -> std::process::ExitCode {
    keyway::cli::main()
}
