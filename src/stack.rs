//! The whole stack in one process: each service binds its own port and they talk over real
//! gRPC, exactly as when they run as separate processes.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use wuguan_platform::db::PoolConfig;
use wuguan_platform::serving::{self, Limits};

#[derive(Debug, Clone)]
pub struct StackConfig {
    /// Where keys (and SQLite files, when no URL is given) live.
    pub data_dir: PathBuf,
    pub registry_database_url: String,
    pub dispatch_database_url: String,
    pub assessment_database_url: String,
    pub registry_listen: String,
    pub dispatch_listen: String,
    pub assessment_listen: String,
    /// The county this deployment serves (dispatch's registry token is scoped to it).
    pub county: String,
    pub sweep: wuguan_dispatch::escalation::SweepConfig,
    /// How often assessment retries handing findings to dispatch.
    pub outbox_interval: Duration,
    pub gateway_listen: String,
    /// Where `/metrics` (every part's series: one process) is served; never the public
    /// listener. None: not served.
    pub metrics_listen: Option<String>,
    pub load_demo: bool,
    pub token_ttl: Duration,
    /// Requests needing no sign-in per client address per minute (0: unlimited).
    pub public_requests_per_minute: u32,
    /// Behind a reverse proxy: the header holding the client's address.
    pub client_ip_header: Option<String>,
    /// The console's cookies carry `Secure` (reached over HTTPS).
    pub secure_cookies: bool,
    /// Each service's database pool and request limits.
    pub pool: PoolConfig,
    pub limits: Limits,
}

/// Enough for a person (a resident tracking a few codes, a clerk mistyping a password), far too
/// few to guess passwords or flood a town with complaints from one address.
pub const DEFAULT_PUBLIC_REQUESTS_PER_MINUTE: u32 = 60;

/// Life of the services' own tokens (dispatch's and assessment's for the registry), minted at
/// every start: a year, within what verifiers accept (`MAX_TOKEN_LIFE`).
const INTERNAL_TOKEN_LIFE: Duration = Duration::from_secs(366 * 24 * 3600);

impl StackConfig {
    /// Everything on SQLite under `data_dir`, on the given addresses.
    pub fn sqlite(
        data_dir: PathBuf,
        registry_listen: &str,
        dispatch_listen: &str,
        assessment_listen: &str,
        gateway_listen: &str,
    ) -> Self {
        let assessment_database_url = format!("sqlite://{}", data_dir.join("assessment.db").display());
        let registry_database_url = format!("sqlite://{}", data_dir.join("registry.db").display());
        let dispatch_database_url = format!("sqlite://{}", data_dir.join("dispatch.db").display());
        Self {
            data_dir,
            registry_database_url,
            dispatch_database_url,
            assessment_database_url,
            registry_listen: registry_listen.to_owned(),
            dispatch_listen: dispatch_listen.to_owned(),
            assessment_listen: assessment_listen.to_owned(),
            county: wuguan_registry::demo::COUNTY.to_owned(),
            sweep: Default::default(),
            outbox_interval: Duration::from_secs(5),
            gateway_listen: gateway_listen.to_owned(),
            metrics_listen: None,
            load_demo: true,
            token_ttl: Duration::from_secs(3600),
            public_requests_per_minute: DEFAULT_PUBLIC_REQUESTS_PER_MINUTE,
            client_ip_header: None,
            secure_cookies: false,
            pool: PoolConfig::default(),
            limits: Limits::default(),
        }
    }
}

/// A running stack. Dropping it does not stop it; call [`Stack::stop`].
pub struct Stack {
    pub registry_addr: SocketAddr,
    pub dispatch_addr: SocketAddr,
    pub assessment_addr: SocketAddr,
    pub gateway_addr: SocketAddr,
    /// Where `/metrics` is served, when configured.
    pub metrics_addr: Option<SocketAddr>,
    pub jwt_private_key: PathBuf,
    pub jwt_public_key: PathBuf,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<anyhow::Result<()>>>,
}

fn stopped(rx: &watch::Receiver<bool>) -> impl std::future::Future<Output = ()> + Send + 'static {
    let mut rx = rx.clone();
    async move {
        let _ = rx.wait_for(|stop| *stop).await;
    }
}

type Task = JoinHandle<anyhow::Result<()>>;

/// Waits until a service reports ready; if it ends first, returns why.
async fn wait_ready(name: &str, task: Task, ready: tokio::sync::oneshot::Receiver<()>) -> anyhow::Result<Task> {
    match ready.await {
        Ok(()) => Ok(task),
        Err(_) => Err(match task.await {
            Ok(Err(e)) => e.context(format!("{name} failed to start")),
            Ok(Ok(())) => anyhow::anyhow!("{name} stopped during start-up"),
            Err(e) => anyhow::anyhow!("{name} task failed: {e}"),
        }),
    }
}

impl Stack {
    pub async fn start(config: StackConfig) -> anyhow::Result<Stack> {
        std::fs::create_dir_all(&config.data_dir)?;
        let (private_key, public_key) = wuguan_platform::identity::KeyPair::ensure_in_dir(&config.data_dir)?;
        let (stop, stop_rx) = watch::channel(false);

        let (registry_listener, registry_addr) = serving::bind(&config.registry_listen).await?;
        let (dispatch_listener, dispatch_addr) = serving::bind(&config.dispatch_listen).await?;
        let (assessment_listener, assessment_addr) = serving::bind(&config.assessment_listen).await?;
        let (gateway_listener, gateway_addr) = serving::bind(&config.gateway_listen).await?;

        // Migrate and load the demo before anything is reported as started, so a caller that
        // sees `start` return can use the data.
        let registry_config = wuguan_registry::server::RegistryConfig {
            database_url: config.registry_database_url.clone(),
            migrate: true,
            jwt_public_key: public_key.clone(),
            load_demo: config.load_demo,
            pool: config.pool,
            limits: config.limits,
        };
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let registry =
            tokio::spawn(wuguan_registry::server::run(registry_config, registry_listener, stopped(&stop_rx), ready_tx));
        let registry = wait_ready("registry", registry, ready_rx).await?;

        // Dispatch reads the registry with its own county-wide token.
        let signer = wuguan_platform::identity::TokenSigner::from_file(&private_key)?;
        let registry_token = signer.sign(
            &wuguan_platform::Principal {
                subject: "wuguan-dispatch".into(),
                role: wuguan_platform::Role::County,
                town: None,
                county: config.county.clone(),
                unit: None,
                estate: None,
            },
            INTERNAL_TOKEN_LIFE,
        )?;
        let dispatch_config = wuguan_dispatch::server::DispatchConfig {
            database_url: config.dispatch_database_url.clone(),
            migrate: true,
            jwt_public_key: public_key.clone(),
            registry_url: format!("http://{registry_addr}"),
            registry_token,
            load_demo: config.load_demo,
            pool: config.pool,
            limits: config.limits,
            sweep: config.sweep,
        };
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let dispatch =
            tokio::spawn(wuguan_dispatch::server::run(dispatch_config, dispatch_listener, stopped(&stop_rx), ready_tx));
        let dispatch = wait_ready("dispatch", dispatch, ready_rx).await?;

        let assessment_token = signer.sign(
            &wuguan_platform::Principal {
                subject: "wuguan-assessment".into(),
                role: wuguan_platform::Role::County,
                town: None,
                county: config.county.clone(),
                unit: None,
                estate: None,
            },
            INTERNAL_TOKEN_LIFE,
        )?;
        let assessment_config = wuguan_assessment::server::AssessmentConfig {
            database_url: config.assessment_database_url.clone(),
            migrate: true,
            jwt_public_key: public_key.clone(),
            registry_url: format!("http://{registry_addr}"),
            dispatch_url: format!("http://{dispatch_addr}"),
            service_token: assessment_token,
            load_demo: config.load_demo,
            pool: config.pool,
            limits: config.limits,
            outbox_interval: config.outbox_interval,
        };
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let assessment = tokio::spawn(wuguan_assessment::server::run(
            assessment_config,
            assessment_listener,
            stopped(&stop_rx),
            ready_tx,
        ));
        let assessment = wait_ready("assessment", assessment, ready_rx).await?;

        let gateway_config = wuguan_gateway::GatewayConfig {
            registry_url: format!("http://{registry_addr}"),
            dispatch_url: format!("http://{dispatch_addr}"),
            assessment_url: format!("http://{assessment_addr}"),
            jwt_private_key: private_key.clone(),
            jwt_public_key: None,
            token_ttl: config.token_ttl,
            request_timeout: config.limits.request_timeout,
            public_requests_per_minute: config.public_requests_per_minute,
            // Unset unless a reverse proxy stands in front: then the peer address is the client's.
            client_ip_header: config.client_ip_header.clone(),
            secure_cookies: config.secure_cookies,
        };
        let gateway = tokio::spawn(wuguan_gateway::run(gateway_config, gateway_listener, stopped(&stop_rx)));
        let mut tasks = vec![registry, dispatch, assessment, gateway];
        let metrics_addr = match &config.metrics_listen {
            Some(listen) => {
                let (listener, addr) = serving::bind(listen).await?;
                tasks.push(tokio::spawn(wuguan_platform::admin::serve_metrics(listener, stopped(&stop_rx))));
                Some(addr)
            }
            None => None,
        };
        Ok(Stack {
            registry_addr,
            dispatch_addr,
            assessment_addr,
            gateway_addr,
            metrics_addr,
            jwt_private_key: private_key,
            jwt_public_key: public_key,
            stop,
            tasks,
        })
    }

    /// Resolves when any part of the stack ends (normally only after `stop`).
    pub async fn wait_any(&mut self) -> anyhow::Result<()> {
        if self.tasks.is_empty() {
            return Ok(());
        }
        let (result, _, rest) = futures::future::select_all(std::mem::take(&mut self.tasks)).await;
        self.tasks = rest;
        result?
    }

    pub async fn stop(mut self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        for task in self.tasks.drain(..) {
            task.await??;
        }
        Ok(())
    }
}
