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
    pub registry_listen: String,
    pub gateway_listen: String,
    pub load_demo: bool,
    pub token_ttl: Duration,
}

impl StackConfig {
    /// Everything on SQLite under `data_dir`, on the given addresses.
    pub fn sqlite(data_dir: PathBuf, registry_listen: &str, gateway_listen: &str) -> Self {
        let registry_database_url = format!("sqlite://{}", data_dir.join("registry.db").display());
        Self {
            data_dir,
            registry_database_url,
            registry_listen: registry_listen.to_owned(),
            gateway_listen: gateway_listen.to_owned(),
            load_demo: true,
            token_ttl: Duration::from_secs(8 * 3600),
        }
    }
}

/// A running stack. Dropping it does not stop it; call [`Stack::stop`].
pub struct Stack {
    pub registry_addr: SocketAddr,
    pub gateway_addr: SocketAddr,
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

impl Stack {
    pub async fn start(config: StackConfig) -> anyhow::Result<Stack> {
        std::fs::create_dir_all(&config.data_dir)?;
        let (private_key, public_key) =
            wuguan_platform::identity::KeyPair::ensure_in_dir(&config.data_dir)?;
        let (stop, stop_rx) = watch::channel(false);

        let (registry_listener, registry_addr) = serving::bind(&config.registry_listen).await?;
        let (gateway_listener, gateway_addr) = serving::bind(&config.gateway_listen).await?;

        // Migrate and load the demo before anything is reported as started, so a caller that
        // sees `start` return can use the data.
        let registry_config = wuguan_registry::server::RegistryConfig {
            database_url: config.registry_database_url.clone(),
            jwt_public_key: public_key.clone(),
            load_demo: config.load_demo,
            pool: PoolConfig::default(),
            limits: Limits::default(),
        };
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let registry = tokio::spawn(wuguan_registry::server::run_with_ready(
            registry_config,
            registry_listener,
            stopped(&stop_rx),
            ready_tx,
        ));
        match ready_rx.await {
            Ok(()) => {}
            Err(_) => {
                // The registry ended before it was ready: report why.
                return Err(match registry.await {
                    Ok(Err(e)) => e,
                    Ok(Ok(())) => anyhow::anyhow!("registry stopped during start-up"),
                    Err(e) => anyhow::anyhow!("registry task failed: {e}"),
                });
            }
        }

        let gateway_config = wuguan_gateway::GatewayConfig {
            registry_url: format!("http://{registry_addr}"),
            jwt_private_key: private_key.clone(),
            token_ttl: config.token_ttl,
            request_timeout: Duration::from_secs(30),
        };
        let gateway = tokio::spawn(wuguan_gateway::run(
            gateway_config,
            gateway_listener,
            stopped(&stop_rx),
        ));
        Ok(Stack {
            registry_addr,
            gateway_addr,
            jwt_private_key: private_key,
            jwt_public_key: public_key,
            stop,
            tasks: vec![registry, gateway],
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
