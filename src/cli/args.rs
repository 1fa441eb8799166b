//! Command-line arguments (clap derive), accepting Terraform's single-dash long flags
//! (`-auto-approve`, `-var=a=b`, `-chdir=DIR`) as well as `--flags`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// keyway: plan, apply and destroy API-key-protected API stacks from HCL.
#[derive(Debug, Parser)]
#[command(name = "keyway", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Switch to this folder before doing anything else.
    #[arg(long, global = true, value_name = "DIR")]
    pub chdir: Option<PathBuf>,
    /// Run Google resources against keyway's embedded emulator (its cloud is kept in
    /// `.keyway/emulator.json`) instead of Google; `KEYWAY_EMULATOR=URL` points at a running
    /// `keyway emulator` instead.
    #[arg(long, global = true)]
    pub emulator: bool,
    /// Disable colour (also off when NO_COLOR is set or output is not a terminal).
    #[arg(long = "no-color", global = true)]
    pub no_color: bool,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Prepare the working folder: check the configuration and create `.keyway/`.
    Init(InitArgs),
    /// Check the configuration without touching state or the cloud.
    Validate {
        /// Folder (default: current).
        dir: Option<PathBuf>,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Rewrite configuration files in canonical style.
    Fmt {
        /// Files or folders (default: current folder).
        paths: Vec<PathBuf>,
        /// Only check; exit 3 if any file would change.
        #[arg(long)]
        check: bool,
        /// Show the changes as a diff.
        #[arg(long)]
        diff: bool,
        /// Also format sub-folders.
        #[arg(long)]
        recursive: bool,
    },
    /// Show what apply would change.
    Plan(PlanArgs),
    /// Make the changes: from a fresh plan (asks for `yes`) or a saved plan file.
    Apply(ApplyArgs),
    /// Delete everything this configuration manages.
    Destroy(ApplyArgs),
    /// Workspaces: separate states of one configuration (`terraform.workspace`).
    #[command(subcommand)]
    Workspace(WorkspaceCommand),
    /// Show the state or a saved plan.
    Show {
        /// A saved plan file (default: the state).
        path: Option<PathBuf>,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Print output values from the state.
    Output {
        /// One output's name.
        name: Option<String>,
        /// JSON output.
        #[arg(long)]
        json: bool,
        /// The raw string value, for scripts (works for sensitive outputs).
        #[arg(long)]
        raw: bool,
    },
    /// Record an existing object in state at ADDRESS, so keyway manages it from now on.
    Import(ImportArgs),
    /// Inspect and edit the state.
    #[command(subcommand)]
    State(StateCommand),
    /// Print the dependency graph in DOT format.
    Graph(DirArg),
    /// Run the local Google Cloud emulator (loopback only) until interrupted.
    Emulator(EmulatorArgs),
    /// Remove a stale lock by its ID.
    ForceUnlock {
        /// The lock ID, as the lock error printed it.
        id: String,
        /// Do not ask for confirmation (keyway never asks; accepted as Terraform's is). With
        /// `-holder`: remove the lock even though its holder is still running.
        #[arg(long)]
        force: bool,
        /// The pid of the live holder being overridden (as the refusal names it).
        #[arg(long, requires = "force")]
        holder: Option<u32>,
    },
}

/// `emulator`.
#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// Port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 8099)]
    pub port: u16,
    /// Persist the emulated cloud to this file so separate commands see the same world.
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
    /// Start with an empty cloud even if the data file exists.
    #[arg(long)]
    pub reset: bool,
    /// How long long-running operations take, in milliseconds.
    #[arg(long = "operation-delay-ms", default_value_t = 0)]
    pub operation_delay_ms: u64,
    /// Latency added to every request, in milliseconds.
    #[arg(long = "latency-ms", default_value_t = 0)]
    pub latency_ms: u64,
    /// Fraction (0-1) of requests answered 429 RESOURCE_EXHAUSTED.
    #[arg(long = "rate-429", default_value_t = 0.0)]
    pub rate_429: f64,
    /// Fraction (0-1) of requests answered 503 UNAVAILABLE.
    #[arg(long = "rate-503", default_value_t = 0.0)]
    pub rate_503: f64,
    /// Fraction (0-1) of long-running operations that finish with an error.
    #[arg(long = "operation-failure-rate", default_value_t = 0.0)]
    pub operation_failure_rate: f64,
    /// A service enabled less than this many milliseconds ago cannot be disabled.
    #[arg(long = "recent-enable-window-ms", default_value_t = 0)]
    pub recent_enable_window_ms: u64,
    /// After an enable, calls to the service answer 403 SERVICE_DISABLED for this many ms.
    #[arg(long = "enable-propagation-ms", default_value_t = 0)]
    pub enable_propagation_ms: u64,
    /// After a service account is created, policies naming it are refused for this many ms.
    #[arg(long = "account-propagation-ms", default_value_t = 0)]
    pub account_propagation_ms: u64,
    /// After an IAM policy write, reads and permission checks see the old policy for this many ms.
    #[arg(long = "iam-propagation-ms", default_value_t = 0)]
    pub iam_propagation_ms: u64,
    /// The first long-running operation started by this method fails with INTERNAL, e.g.
    /// `apigateway.gateways.create` (repeatable, one more failure each time; keyway re-sends a
    /// transiently failed operation 8 times, so 9 make a failure in the middle of an apply).
    #[arg(long = "fail-operation", value_name = "METHOD")]
    pub fail_operation: Vec<String>,
    /// The first request of this method is carried out, then answered 503 as if the answer
    /// were lost, e.g. `apikeys.keys.create` (repeatable, one more each time).
    #[arg(long = "lose-response", value_name = "METHOD")]
    pub lose_response: Vec<String>,
    /// Seed of the fault generator (same seed, same faults).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// A folder argument.
#[derive(Debug, Args)]
pub struct DirArg {
    /// Folder (default: current).
    pub dir: Option<PathBuf>,
}

/// `keyway workspace ...`.
#[derive(Debug, Subcommand)]
pub enum WorkspaceCommand {
    /// List workspaces; `*` marks the current one.
    List,
    /// Create a workspace and switch to it.
    New {
        /// Its name: letters, digits, `-` and `_`.
        name: String,
    },
    /// Switch to a workspace.
    Select {
        /// Its name.
        name: String,
        /// Create it when it does not exist.
        #[arg(long = "or-create")]
        or_create: bool,
    },
    /// Print the current workspace's name.
    Show,
    /// Delete a workspace and its state.
    Delete {
        /// Its name.
        name: String,
        /// Delete even when its state still tracks objects (they are then forgotten, not
        /// destroyed).
        #[arg(long)]
        force: bool,
    },
}

/// `keyway init`.
#[derive(Debug, Args, Clone, Default)]
pub struct InitArgs {
    /// Folder (default: current).
    pub dir: Option<PathBuf>,
    /// Adopt the folder's `terraform.tfstate` without asking (Terraform's flag for copying
    /// state without a prompt).
    #[arg(long = "force-copy")]
    pub force_copy: bool,
    /// Fetch every git and registry module again (the newest version the constraints allow).
    #[arg(long = "upgrade")]
    pub upgrade: bool,
    /// Copy the state of every workspace from the backend used so far to the configured one.
    #[arg(long = "migrate-state")]
    pub migrate_state: bool,
    /// Use the configured backend without copying any state to it.
    #[arg(long = "reconfigure")]
    pub reconfigure: bool,
    /// A backend setting (`KEY=VALUE`) or a file of them, over the `backend` block's
    /// (repeatable).
    #[arg(long = "backend-config", value_name = "KEY=VALUE|FILE")]
    pub backend_config: Vec<String>,
}

/// Flags shared by plan, apply and destroy.
#[derive(Debug, Args, Clone, Default)]
pub struct PlanFlags {
    /// Set a variable: `-var name=value` (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Read variables from a file (repeatable).
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
    /// Limit to these resources and what they depend on (repeatable).
    #[arg(long = "target", value_name = "ADDR")]
    pub targets: Vec<String>,
    /// Leave out these resources and what depends on them (repeatable).
    #[arg(long = "exclude", value_name = "ADDR")]
    pub excludes: Vec<String>,
    /// Plan to replace this instance even if nothing changed (repeatable).
    #[arg(long = "replace", value_name = "ADDR")]
    pub replace: Vec<String>,
    /// Refresh state before planning (`-refresh=false` skips it).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub refresh: bool,
    /// Only update state to match what exists.
    #[arg(long = "refresh-only")]
    pub refresh_only: bool,
    /// Wait for the state lock no longer than this (e.g. `10s`); default 0: fail at once.
    #[arg(long = "lock-timeout", value_name = "DURATION")]
    pub lock_timeout: Option<String>,
}

/// `plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Folder (default: current).
    pub dir: Option<PathBuf>,
    /// Shared flags.
    #[command(flatten)]
    pub flags: PlanFlags,
    /// Plan to destroy everything.
    #[arg(long)]
    pub destroy: bool,
    /// Save the plan to this file for `apply FILE`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
    /// Exit 0 for no changes, 1 for errors, 2 for changes.
    #[arg(long = "detailed-exitcode")]
    pub detailed_exitcode: bool,
}

/// `apply` and `destroy`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// A saved plan file, or a folder (default: current).
    pub path: Option<PathBuf>,
    /// Shared flags.
    #[command(flatten)]
    pub flags: PlanFlags,
    /// Skip the confirmation.
    #[arg(long = "auto-approve")]
    pub auto_approve: bool,
    /// How many operations may run at once.
    #[arg(long, default_value_t = 256)]
    pub parallelism: usize,
}

/// `import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The resource instance, as declared in the configuration (`type.name`, `type.name[0]`,
    /// `type.name["key"]`).
    pub addr: String,
    /// The object's ID, in one of the formats the resource type documents.
    pub id: String,
    /// Set a variable: `-var name=value` (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Read variables from a file (repeatable).
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
    /// Wait for the state lock no longer than this (e.g. `10s`); default 0: fail at once.
    #[arg(long = "lock-timeout", value_name = "DURATION")]
    pub lock_timeout: Option<String>,
}

/// `state` subcommands.
#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// List instance addresses (optionally only those under the given addresses).
    List {
        /// Address prefixes.
        addrs: Vec<String>,
    },
    /// Show one instance's attributes (sensitive values hidden).
    Show {
        /// Instance address.
        addr: String,
    },
    /// Rename an instance or resource in state.
    Mv {
        /// Current address.
        from: String,
        /// New address.
        to: String,
    },
    /// Forget instances without deleting them.
    Rm {
        /// Addresses.
        addrs: Vec<String>,
    },
    /// Print the raw state file.
    Pull,
    /// Replace the state with a file.
    Push {
        /// The state file.
        file: PathBuf,
        /// Allow a different lineage or a lower serial.
        #[arg(long)]
        force: bool,
    },
}

/// Rewrites `-flag` to `--flag` so that Terraform habits work with clap.
pub fn normalize(args: impl Iterator<Item = String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = false;
    for a in args {
        if rest || a == "--" {
            rest = true;
            out.push(a);
            continue;
        }
        let single_long = a.len() > 2
            && a.starts_with('-')
            && !a.starts_with("--")
            && a.as_bytes()[1].is_ascii_alphabetic();
        out.push(if single_long { format!("-{a}") } else { a });
    }
    out
}
