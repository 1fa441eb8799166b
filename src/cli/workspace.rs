//! The working folder: loads configuration, variables, graph and state, and hands out the
//! providers and the state store. The IO edge between the cli and the engine.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use miette::Report;

use crate::cli::args::PlanFlags;
use crate::config::vars::{resolve, VarArg};
use crate::config::Config;
use crate::diagnostics::{Diagnostic, Diagnostics, Sources};
use crate::graph::Graph;
use crate::lang::Value;
use crate::providers::Registry;
use crate::state::{State, Store};

/// Set by `--emulator`: Google resources go to an in-process emulator.
pub static EMBEDDED_EMULATOR: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// A loaded working folder.
pub struct Workspace {
    /// The embedded emulator, kept alive while the command runs (`--emulator`).
    pub emulator: Option<crate::emulator::Emulator>,
    /// The configuration, its module calls expanded.
    pub config: Config,
    /// The configuration as loaded, when it calls modules: expanded again once `-var`
    /// flags are known.
    pub tree: Option<Config>,
    /// Its dependency graph.
    pub graph: Graph,
    /// The state store.
    pub store: Arc<Store>,
    /// Providers.
    pub providers: Registry,
    /// Which cloud Google resources go to when it is not Google itself (the embedded
    /// emulator, or a `KEYWAY_EMULATOR` address), so no user is ever unsure what they touched.
    pub cloud: Option<String>,
    /// The clouds the emulator stands in for this run ("Google Cloud", "AWS").
    pub emulated: Vec<&'static str>,
}

/// Failure of a command, already rendered into reports.
pub struct Failure(pub Vec<Report>);

impl From<Report> for Failure {
    fn from(r: Report) -> Failure {
        Failure(vec![r])
    }
}

/// Reports for diagnostics.
pub fn reports(diags: &[Diagnostic], sources: &Sources) -> Vec<Report> {
    use crate::cli::render::diagnostic::TerraformLayout;
    diags
        .iter()
        .map(|d| match d.within {
            // Block-scoped diagnostics (failed conditions) keep Terraform's layout.
            Some(_) => Report::new(TerraformLayout::new(d, sources)),
            None => d.to_report(sources),
        })
        .collect()
}

/// Changes into the folder (`-chdir`, or a folder argument), as Terraform does, so that
/// `path.module` is `.` and relative paths behave the same.
pub fn enter(dir: Option<&Path>) -> Result<(), Failure> {
    if let Some(d) = dir {
        std::env::set_current_dir(d)
            .map_err(|e| Report::msg(format!("Cannot change into `{}`: {e}", d.display())))?;
    }
    Ok(())
}

impl Workspace {
    /// Loads the configuration of the current folder and builds its graph.
    pub fn load() -> Result<Workspace, Failure> {
        let store = Store::open(Path::new(".")).map_err(Report::new)?;
        Workspace::load_with(Arc::new(store))
    }

    /// Loads the configuration, using an already opened state store.
    pub fn load_with(store: Arc<Store>) -> Result<Workspace, Failure> {
        let loaded = match crate::config::load_with_sources(Path::new(".")) {
            Ok(mut c) => {
                c.workspace = crate::state::current_workspace(Path::new("."));
                c
            }
            Err((Diagnostics(d), sources)) => return Err(Failure(reports(&d, &sources))),
        };
        let (config, tree) = if loaded.module_calls.is_empty() {
            (loaded, None)
        } else {
            // Expanded now from defaults, the environment and tfvars files, for commands that
            // take no `-var`; `vars` expands again with the flags.
            let env: BTreeMap<String, String> = std::env::vars().collect();
            let mut sources = loaded.sources.clone();
            let vars = resolve(&loaded, &[], &env, &mut sources).unwrap_or_default();
            let config = crate::config::expand::expand(&loaded, &vars, false)
                .map_err(|d| Failure(reports(&d, &loaded.sources)))?;
            (config, Some(loaded))
        };
        let graph = crate::graph::build(&config)
            .map_err(|Diagnostics(d)| Failure(reports(&d, &config.sources)))?;
        Ok(Workspace {
            emulator: None,
            config,
            tree,
            graph,
            store,
            providers: Registry::builtin(),
            cloud: None,
            emulated: Vec::new(),
        })
    }

    /// Resolves input variables from flags, files and the environment.
    pub fn vars(
        &mut self,
        flags: &PlanFlags,
    ) -> Result<(BTreeMap<String, Value>, Vec<Report>), Failure> {
        let mut args = Vec::new();
        for v in &flags.vars {
            let Some((k, val)) = v.split_once('=') else {
                return Err(
                    Report::msg(format!("Invalid -var option `{v}`: expected NAME=VALUE")).into(),
                );
            };
            args.push(VarArg::Value(k.trim().to_owned(), val.to_owned()));
        }
        args.extend(flags.var_files.iter().cloned().map(VarArg::File));
        let env: BTreeMap<String, String> = std::env::vars().collect();
        let mut sources = self.config.sources.clone();
        let vars = match resolve(&self.config, &args, &env, &mut sources) {
            Ok(v) => v,
            Err(d) => return Err(Failure(reports(&d, &sources))),
        };
        self.expand(&vars)?;
        Ok((vars, Vec::new()))
    }

    /// Expands the module calls again with the final input variables (a saved plan's
    /// included), and rebuilds the graph; nothing to do without module calls.
    pub fn expand(&mut self, vars: &BTreeMap<String, Value>) -> Result<(), Failure> {
        let Some(tree) = &self.tree else {
            return Ok(());
        };
        let mut config = crate::config::expand::expand(tree, vars, true)
            .map_err(|d| Failure(reports(&d, &tree.sources)))?;
        config.workspace = self.config.workspace.clone();
        self.graph = crate::graph::build(&config)
            .map_err(|Diagnostics(d)| Failure(reports(&d, &config.sources)))?;
        self.config = config;
        Ok(())
    }

    /// Configures the providers the configuration or `state` uses, from their `provider`
    /// blocks (evaluated with the input variables) and the environment.
    pub async fn configure_providers(
        &mut self,
        vars: &BTreeMap<String, Value>,
        state: &State,
    ) -> Result<(), Failure> {
        let uses_google = self
            .config
            .resources
            .values()
            .chain(self.config.checks.values().flat_map(|c| c.data.iter()))
            .any(|r| crate::schema::lookup(&r.ty).is_some_and(|s| s.provider == "google"))
            || state
                .resources
                .values()
                .chain(state.pending.values().map(|p| &p.instance))
                .any(|r| r.provider == "google");
        if self.uses_provider("aws", state) {
            let settings = self.aws_settings(vars).await?;
            let aws = crate::providers::aws::Aws::new(settings)
                .await
                .map_err(|e| Report::msg(format!("AWS provider: {e}")))?;
            self.providers.insert("aws", Arc::new(aws));
        }
        if !uses_google {
            if let Ok(url) = std::env::var("KEYWAY_EMULATOR") {
                self.route_http_to_emulator(&url);
            }
            return Ok(());
        }
        let settings = self.google_settings(vars).await?;
        if let crate::providers::google::Endpoint::Emulator(url) = &settings.endpoint {
            self.route_http_to_emulator(url);
        }
        let google = crate::providers::google::Google::new(settings)
            .map_err(|e| Report::msg(format!("Google provider: {e}")))?;
        check_credentials(&google).await?;
        self.providers.insert("google", Arc::new(google));
        Ok(())
    }

    /// True when the configuration (or check blocks) declares, or state holds, a resource of
    /// `provider`.
    fn uses_provider(&self, provider: &str, state: &State) -> bool {
        self.config
            .resources
            .values()
            .chain(self.config.checks.values().flat_map(|c| c.data.iter()))
            .any(|r| crate::schema::lookup(&r.ty).is_some_and(|s| s.provider == provider))
            || state
                .resources
                .values()
                .chain(state.pending.values().map(|p| &p.instance))
                .any(|r| r.provider == provider)
    }

    /// `data "http"` requests to Cloud Run and API Gateway hosts go to the emulator, which
    /// serves them by `Host` header: the same folder checks its endpoints on Google and here.
    pub(crate) fn route_http_to_emulator(&mut self, base_url: &str) {
        let Ok(u) = reqwest::Url::parse(base_url) else {
            return;
        };
        let (Some(host), Some(port)) = (u.host_str(), u.port_or_known_default()) else {
            return;
        };
        let target = format!("{host}:{port}");
        // Cloud Run, API Gateway (Google's and AWS's execute-api) and the emulator's test JWT
        // issuer (`issuer.localhost`).
        let overrides = [".run.app", ".gateway.dev", ".amazonaws.com", ".localhost"]
            .into_iter()
            .map(|suffix| crate::providers::http::HostOverride {
                suffix: suffix.to_owned(),
                target: target.clone(),
            })
            .collect();
        self.providers.insert(
            "http",
            Arc::new(crate::providers::http::Http::new(overrides)),
        );
    }

    async fn google_settings(
        &mut self,
        vars: &BTreeMap<String, Value>,
    ) -> Result<crate::providers::google::Settings, Failure> {
        use crate::providers::google::{Endpoint, Settings};
        let values = crate::plan::scope::Values {
            dir: self.config.dir.clone(),
            vars: vars.clone(),
            ..Default::default()
        };
        let scope = crate::plan::scope::EvalScope::new(&values, &self.config);
        let mut args: BTreeMap<String, String> = BTreeMap::new();
        // `google-beta` is the same provider for keyway (Terraform splits them by API maturity).
        for block in self
            .config
            .providers
            .iter()
            .filter(|p| (p.name == "google" || p.name == "google-beta") && p.alias.is_none())
        {
            for (k, e) in &block.body.attrs {
                let v = crate::lang::eval::eval(&e.expr, &scope).map_err(|err| {
                    Failure(reports(
                        &[Diagnostic::error("config::provider", err.message).at(e.file, err.span)],
                        &self.config.sources,
                    ))
                })?;
                if let Some(s) = v.unmarked().as_str() {
                    args.entry(k.clone()).or_insert_with(|| s.to_owned());
                }
            }
        }
        let mut settings =
            Settings::from_env_and(args.get("project").cloned(), args.get("region").cloned());
        if let Some(t) = args.get("access_token") {
            settings.access_token = Some(t.clone());
        }
        if let Some(b) = args.get("billing_project") {
            settings.billing_project = Some(b.clone());
        }
        let custom: BTreeMap<String, String> = args
            .iter()
            .filter_map(|(k, v)| {
                k.strip_suffix("_custom_endpoint")
                    .map(|api| (api.replace('_', ""), v.trim_end_matches('/').to_owned()))
            })
            .collect();
        settings.endpoint = if EMBEDDED_EMULATOR.load(std::sync::atomic::Ordering::SeqCst) {
            self.emulated.push("Google Cloud");
            Endpoint::Emulator(self.embedded_emulator().await?)
        } else if let Some(url) = args
            .get("emulator")
            .cloned()
            .or_else(|| std::env::var("KEYWAY_EMULATOR").ok())
        {
            self.cloud = Some(format!("the keyway emulator at {url}"));
            self.emulated.push("Google Cloud");
            Endpoint::Emulator(url)
        } else if !custom.is_empty() {
            Endpoint::Custom(custom)
        } else {
            Endpoint::Google
        };
        Ok(settings)
    }

    /// The embedded emulator's URL (`--emulator`), started on first use: Google and AWS
    /// resources of one folder share it, and its cloud is saved in `.keyway/emulator.json`.
    pub async fn embedded_emulator(&mut self) -> Result<String, Failure> {
        if let Some(emu) = &self.emulator {
            return Ok(emu.base_url());
        }
        let opts = crate::emulator::Options {
            port: 0,
            data_file: Some(Path::new(".keyway").join("emulator.json")),
            reset: false,
            faults: Default::default(),
            operation_delay: std::time::Duration::from_millis(0),
        };
        self.store.ensure_dir().map_err(Report::new)?;
        let emu = crate::emulator::Emulator::start(opts)
            .await
            .map_err(|e| Report::msg(format!("Cannot start the embedded emulator: {e}")))?;
        let url = emu.base_url();
        self.emulator = Some(emu);
        self.cloud =
            Some("keyway's embedded emulator, its cloud saved in .keyway/emulator.json".into());
        Ok(url)
    }

    /// "Google Cloud", "AWS" or "Google Cloud and AWS": what the emulator stands in for.
    pub fn emulated_clouds(&self, joiner: &str) -> String {
        match self.emulated.as_slice() {
            [] => "the cloud".to_owned(),
            names => names.join(joiner),
        }
    }

    /// The current state, or a fresh one.
    pub fn state(&self) -> Result<State, Failure> {
        match self.store.read() {
            Ok(Some(s)) => Ok(s),
            Ok(None) => Ok(State::new()),
            Err(e) => Err(Report::new(e).into()),
        }
    }
}

/// Looks credentials up once, before planning: without them a plan would look complete and
/// `apply` would fail on every resource, each with the same long message. A no-op on the
/// emulator. The remedies become the error's help.
async fn check_credentials(google: &crate::providers::google::Google) -> Result<(), Failure> {
    use crate::providers::google::auth::CREDENTIALS_HELP;
    let Err(e) = google.check_credentials().await else {
        return Ok(());
    };
    let message = e.message.replace(CREDENTIALS_HELP, "");
    let d = Diagnostic::error("google::credentials", message.trim_end()).help(CREDENTIALS_HELP);
    Err(Failure(reports(&[d], &Sources::default())))
}
