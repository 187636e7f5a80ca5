//! `wuguan`: one binary, a subcommand per process.
//!
//! - `wuguan up`        the whole stack on SQLite under --data-dir, with the demo data
//! - `wuguan registry`  the registry service (台账)
//! - `wuguan gateway`   the HTTP gateway
//! - `wuguan token`     a token for another department's system

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::time::Duration;
use wuguan::stack::{Stack, StackConfig};
use wuguan_platform::db::PoolConfig;
use wuguan_platform::identity::{Principal, TokenSigner};
use wuguan_platform::serving::{self, Limits};
use wuguan_platform::{Role, telemetry};

#[derive(Parser)]
#[command(name = "wuguan", version, about = "wuguan (物管): town property-management supervision")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the whole stack locally on SQLite, with the demo data on first start.
    Up(UpArgs),
    /// Run the registry service (台账).
    Registry(RegistryArgs),
    /// Run the dispatch service (诉求派单).
    Dispatch(DispatchArgs),
    /// Run the assessment service (督查考核).
    Assessment(AssessmentArgs),
    /// Run the HTTP gateway.
    Gateway(GatewayArgs),
    /// Mint a token for another department's system (role `service`).
    Token(TokenArgs),
    /// Create the Ed25519 token-signing key pair (jwt-private.pem, jwt-public.pem) in a directory.
    Keygen(KeygenArgs),
    /// Apply every given service's database migrations, then exit (once per upgrade).
    Migrate(MigrateArgs),
    /// Copy the SQLite databases (online, consistent) and the signing keys of a data directory.
    Backup(BackupArgs),
    /// Exit 0 when an HTTP health endpoint answers 2xx (for container health checks).
    Health(HealthArgs),
    /// A real county's first step: create the county and its first administrator in the
    /// registry's database (migrating it first); the administrator then adds the towns.
    InitCounty(InitCountyArgs),
    /// Print the gateway's OpenAPI document (what `GET /api/v1/openapi.json` serves), e.g. to
    /// generate a client without running the stack.
    Openapi,
}

/// Options every service process shares: migrations and the admin port.
#[derive(Args)]
struct ServiceOps {
    /// Apply migrations on start; `false` where `wuguan migrate` runs once per upgrade (the
    /// service then refuses a schema older than its release).
    #[arg(long, env = "WUGUAN_MIGRATE", default_value_t = true, action = clap::ArgAction::Set)]
    migrate: bool,
    /// Admin HTTP address for `/healthz` and `/metrics` (Prometheus); off when absent.
    #[arg(long, env = "WUGUAN_ADMIN_LISTEN")]
    admin_listen: Option<String>,
}

#[derive(Args)]
struct MigrateArgs {
    #[arg(long, env = "WUGUAN_REGISTRY_DATABASE_URL", hide_env_values = true)]
    registry_database_url: Option<String>,
    /// A file holding the registry's database URL (e.g. a container secret).
    #[arg(long, env = "WUGUAN_REGISTRY_DATABASE_URL_FILE")]
    registry_database_url_file: Option<PathBuf>,
    #[arg(long, env = "WUGUAN_DISPATCH_DATABASE_URL", hide_env_values = true)]
    dispatch_database_url: Option<String>,
    #[arg(long, env = "WUGUAN_DISPATCH_DATABASE_URL_FILE")]
    dispatch_database_url_file: Option<PathBuf>,
    #[arg(long, env = "WUGUAN_ASSESSMENT_DATABASE_URL", hide_env_values = true)]
    assessment_database_url: Option<String>,
    #[arg(long, env = "WUGUAN_ASSESSMENT_DATABASE_URL_FILE")]
    assessment_database_url_file: Option<PathBuf>,
}

#[derive(Args)]
struct BackupArgs {
    /// The data directory of a SQLite deployment (`wuguan up`).
    #[arg(long, env = "WUGUAN_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
    /// Where the copy goes: a new (or empty) directory.
    #[arg(long)]
    to: PathBuf,
}

#[derive(Args)]
struct InitCountyArgs {
    #[arg(long, env = "WUGUAN_REGISTRY_DATABASE_URL", hide_env_values = true)]
    registry_database_url: Option<String>,
    /// A file holding the registry's database URL (e.g. a container secret).
    #[arg(long, env = "WUGUAN_REGISTRY_DATABASE_URL_FILE")]
    registry_database_url_file: Option<PathBuf>,
    /// The county's code, e.g. `shuyang` (lower-case letters, digits, '-' or '_').
    #[arg(long)]
    code: String,
    /// The county's name, e.g. 沭阳县.
    #[arg(long)]
    name: String,
    /// The administrator's username.
    #[arg(long)]
    admin_username: String,
    /// A file holding the administrator's first password (at least 8 characters); change it
    /// after signing in.
    #[arg(long)]
    admin_password_file: PathBuf,
}

#[derive(Args)]
struct HealthArgs {
    /// e.g. `http://127.0.0.1:9090/healthz` (a service's admin port) or the gateway's `/healthz`.
    url: String,
    #[arg(long, default_value_t = 3)]
    timeout_secs: u64,
}

#[derive(Args)]
struct UpArgs {
    /// Where the SQLite databases and the signing key live.
    #[arg(long, env = "WUGUAN_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
    /// Skip loading the demo data.
    #[arg(long)]
    no_demo: bool,
    #[arg(long, env = "WUGUAN_REGISTRY_LISTEN", default_value = "127.0.0.1:50051")]
    registry_listen: String,
    #[arg(long, env = "WUGUAN_DISPATCH_LISTEN", default_value = "127.0.0.1:50052")]
    dispatch_listen: String,
    #[arg(long, env = "WUGUAN_ASSESSMENT_LISTEN", default_value = "127.0.0.1:50053")]
    assessment_listen: String,
    #[arg(long, env = "WUGUAN_GATEWAY_LISTEN", default_value = "127.0.0.1:8080")]
    gateway_listen: String,
    /// Where `/metrics` (Prometheus) is served: apart from the gateway's public address.
    #[arg(long, env = "WUGUAN_METRICS_LISTEN", default_value = "127.0.0.1:9100")]
    metrics_listen: String,
    /// The registry's database (`sqlite://…` or `postgres://…`); default `<data-dir>/registry.db`.
    #[arg(long, env = "WUGUAN_REGISTRY_DATABASE_URL", hide_env_values = true)]
    registry_database_url: Option<String>,
    /// Dispatch's database; default `<data-dir>/dispatch.db`.
    #[arg(long, env = "WUGUAN_DISPATCH_DATABASE_URL", hide_env_values = true)]
    dispatch_database_url: Option<String>,
    /// Assessment's database; default `<data-dir>/assessment.db`.
    #[arg(long, env = "WUGUAN_ASSESSMENT_DATABASE_URL", hide_env_values = true)]
    assessment_database_url: Option<String>,
    #[command(flatten)]
    tuning: TuningArgs,
    #[command(flatten)]
    sweep: SweepArgs,
    #[command(flatten)]
    outbox: OutboxArgs,
    #[command(flatten)]
    sign_in: SignInArgs,
}

/// What the three gRPC services name alike but each under its own environment variables.
trait Service: Clone + Send + Sync + 'static {
    const LISTEN_ENV: &'static str;
    const DEFAULT_LISTEN: &'static str;
    const DATABASE_URL_ENV: &'static str;
    const DATABASE_URL_FILE_ENV: &'static str;
    const DEFAULT_DATABASE_URL: &'static str;
}

macro_rules! service {
    ($ty:ident, $lower:literal, $upper:literal, $port:literal) => {
        #[derive(Clone)]
        struct $ty;
        impl Service for $ty {
            const LISTEN_ENV: &'static str = concat!("WUGUAN_", $upper, "_LISTEN");
            const DEFAULT_LISTEN: &'static str = concat!("127.0.0.1:", $port);
            const DATABASE_URL_ENV: &'static str = concat!("WUGUAN_", $upper, "_DATABASE_URL");
            const DATABASE_URL_FILE_ENV: &'static str = concat!("WUGUAN_", $upper, "_DATABASE_URL_FILE");
            const DEFAULT_DATABASE_URL: &'static str = concat!("sqlite://data/", $lower, ".db");
        }
    };
}
service!(Registry, "registry", "REGISTRY", "50051");
service!(Dispatch, "dispatch", "DISPATCH", "50052");
service!(Assessment, "assessment", "ASSESSMENT", "50053");

/// The options every gRPC service process takes, flattened into each one's arguments.
#[derive(Args)]
struct ServiceArgs<S: Service> {
    /// gRPC listen address; port 0 picks a free port.
    #[arg(long, env = S::LISTEN_ENV, default_value = S::DEFAULT_LISTEN)]
    listen: String,
    /// `sqlite://path/<service>.db` or `postgres://user:password@host/db` (secret when it holds a password).
    #[arg(long, env = S::DATABASE_URL_ENV, default_value = S::DEFAULT_DATABASE_URL, hide_env_values = true)]
    database_url: String,
    /// A file holding the database URL (e.g. a container secret); wins over `--database-url`.
    #[arg(long, env = S::DATABASE_URL_FILE_ENV)]
    database_url_file: Option<PathBuf>,
    /// PEM file with the gateway's Ed25519 public key(s), to verify tokens.
    #[arg(long, env = "WUGUAN_JWT_PUBLIC_KEY", default_value = "data/jwt-public.pem")]
    jwt_public_key: PathBuf,
    /// Load the demo data on first start (dispatch and assessment need the registry's).
    #[arg(long, env = "WUGUAN_DEMO")]
    demo: bool,
    #[command(flatten)]
    tuning: TuningArgs,
    #[command(flatten)]
    ops: ServiceOps,
    #[arg(skip)]
    _service: std::marker::PhantomData<S>,
}

/// A service's process, bound and with its admin port up, and the settings every service's
/// configuration takes from its arguments.
struct Started {
    listener: tokio::net::TcpListener,
    database_url: String,
    migrate: bool,
    jwt_public_key: PathBuf,
    load_demo: bool,
    pool: PoolConfig,
    limits: Limits,
}

impl<S: Service> ServiceArgs<S> {
    async fn start(self, name: &str) -> anyhow::Result<Started> {
        let (listener, addr) = serving::bind(&self.listen).await?;
        tracing::info!(%addr, "{name} listening");
        admin(&self.ops, addr).await?;
        Ok(Started {
            listener,
            database_url: secret(self.database_url, self.database_url_file)?,
            migrate: self.ops.migrate,
            jwt_public_key: self.jwt_public_key,
            load_demo: self.demo,
            pool: self.tuning.pool(),
            limits: self.tuning.limits(),
        })
    }
}

#[derive(Args)]
struct AssessmentArgs {
    #[command(flatten)]
    service: ServiceArgs<Assessment>,
    #[arg(long, env = "WUGUAN_REGISTRY_URL", default_value = "http://127.0.0.1:50051")]
    registry_url: String,
    #[arg(long, env = "WUGUAN_DISPATCH_URL", default_value = "http://127.0.0.1:50052")]
    dispatch_url: String,
    /// Assessment's own token for the registry and dispatch (secret): `wuguan token --role county --subject wuguan-assessment`.
    #[arg(long, env = "WUGUAN_ASSESSMENT_SERVICE_TOKEN", hide_env_values = true)]
    service_token: Option<String>,
    /// A file holding the service token (e.g. a container secret).
    #[arg(long, env = "WUGUAN_ASSESSMENT_SERVICE_TOKEN_FILE")]
    service_token_file: Option<PathBuf>,
    #[command(flatten)]
    outbox: OutboxArgs,
}

#[derive(Args)]
struct DispatchArgs {
    #[command(flatten)]
    service: ServiceArgs<Dispatch>,
    #[arg(long, env = "WUGUAN_REGISTRY_URL", default_value = "http://127.0.0.1:50051")]
    registry_url: String,
    /// Dispatch's own token for reading the registry (secret): `wuguan token --role county --subject wuguan-dispatch`.
    #[arg(long, env = "WUGUAN_DISPATCH_REGISTRY_TOKEN", hide_env_values = true)]
    registry_token: Option<String>,
    /// A file holding the registry token (e.g. a container secret).
    #[arg(long, env = "WUGUAN_DISPATCH_REGISTRY_TOKEN_FILE")]
    registry_token_file: Option<PathBuf>,
    #[command(flatten)]
    sweep: SweepArgs,
}

#[derive(Args)]
struct RegistryArgs {
    #[command(flatten)]
    service: ServiceArgs<Registry>,
}

#[derive(Args)]
struct GatewayArgs {
    #[arg(long, env = "WUGUAN_GATEWAY_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,
    #[arg(long, env = "WUGUAN_REGISTRY_URL", default_value = "http://127.0.0.1:50051")]
    registry_url: String,
    #[arg(long, env = "WUGUAN_DISPATCH_URL", default_value = "http://127.0.0.1:50052")]
    dispatch_url: String,
    #[arg(long, env = "WUGUAN_ASSESSMENT_URL", default_value = "http://127.0.0.1:50053")]
    assessment_url: String,
    /// PEM file with the Ed25519 private key tokens are signed with (secret).
    #[arg(long, env = "WUGUAN_JWT_PRIVATE_KEY", default_value = "data/jwt-private.pem")]
    jwt_private_key: PathBuf,
    /// Public keys to trust besides the private key's own (PEM blocks one after another): the
    /// services' key file, which during a signing-key rotation also holds the previous key.
    #[arg(long, env = "WUGUAN_JWT_PUBLIC_KEY")]
    jwt_public_key: Option<PathBuf>,
    #[arg(long, env = "WUGUAN_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    request_timeout_secs: u64,
    /// Admin HTTP address for `/metrics` (Prometheus), apart from the public listener; off when
    /// absent. (The gateway's health is its public `/healthz` and `/livez`.)
    #[arg(long, env = "WUGUAN_ADMIN_LISTEN")]
    admin_listen: Option<String>,
    #[command(flatten)]
    sign_in: SignInArgs,
}

/// Resource limits every service takes (the same environment names for all).
#[derive(Args, Clone)]
struct TuningArgs {
    /// Database connections per service.
    #[arg(long, env = "WUGUAN_DB_MAX_CONNECTIONS", default_value_t = 16)]
    db_max_connections: u32,
    /// Requests a service works on at once; beyond it callers get RESOURCE_EXHAUSTED.
    #[arg(long, env = "WUGUAN_MAX_CONCURRENT_REQUESTS", default_value_t = 512)]
    max_concurrent_requests: usize,
    /// How long a service works on one request before giving up.
    #[arg(long, env = "WUGUAN_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    request_timeout_secs: u64,
}

impl TuningArgs {
    fn pool(&self) -> PoolConfig {
        PoolConfig { max_connections: self.db_max_connections, ..PoolConfig::default() }
    }

    fn limits(&self) -> Limits {
        Limits {
            max_concurrent_requests: self.max_concurrent_requests,
            request_timeout: Duration::from_secs(self.request_timeout_secs),
            ..Limits::default()
        }
    }
}

/// Two-level supervision's clock (dispatch).
#[derive(Args, Clone)]
struct SweepArgs {
    /// How often each replica sweeps for overdue tickets.
    #[arg(long, env = "WUGUAN_SWEEP_INTERVAL_SECS", default_value_t = 30)]
    sweep_interval_secs: u64,
    /// How long a ticket may stay overdue under town-office supervision before the county is told.
    #[arg(long, env = "WUGUAN_LEVEL_ONE_WINDOW_SECS", default_value_t = 24 * 3600)]
    level_one_window_secs: u64,
    /// The share of a unit's time to resolve (from dispatch to deadline), in per cent, after
    /// which it is warned once (临期预警); 100 turns warnings off.
    #[arg(long, env = "WUGUAN_WARN_AT_PERCENT", default_value_t = 75, value_parser = clap::value_parser!(u32).range(1..=100))]
    warn_at_percent: u32,
}

impl SweepArgs {
    fn config(&self) -> wuguan_dispatch::escalation::SweepConfig {
        wuguan_dispatch::escalation::SweepConfig {
            interval: Duration::from_secs(self.sweep_interval_secs.max(1)),
            level_one_window: Duration::from_secs(self.level_one_window_secs),
            warn_at_percent: self.warn_at_percent,
        }
    }
}

/// How assessment hands findings to dispatch.
#[derive(Args, Clone)]
struct OutboxArgs {
    /// How often findings waiting for dispatch are retried.
    #[arg(long, env = "WUGUAN_OUTBOX_INTERVAL_SECS", default_value_t = 5)]
    outbox_interval_secs: u64,
}

/// Sign-in and the requests that need none (gateway).
#[derive(Args, Clone)]
struct SignInArgs {
    /// Lifetime of a sign-in token; `POST /api/v1/auth/refresh` (and the console, while it is
    /// used) renews it for up to 12 hours after signing in.
    #[arg(long, env = "WUGUAN_TOKEN_TTL_SECS", default_value_t = 3600)]
    token_ttl_secs: u64,
    /// Requests that need no sign-in (anonymous complaints, tracking, rating) allowed per client
    /// address per minute; sign-ins count apart, per account and address. 0 turns both off.
    #[arg(long, env = "WUGUAN_PUBLIC_REQUESTS_PER_MINUTE", default_value_t = wuguan::stack::DEFAULT_PUBLIC_REQUESTS_PER_MINUTE)]
    public_requests_per_minute: u32,
    /// Behind a reverse proxy: the header it puts the client's address in (e.g.
    /// `x-forwarded-for`, `x-real-ip`). Leave unset when clients reach the gateway directly.
    #[arg(long, env = "WUGUAN_CLIENT_IP_HEADER")]
    client_ip_header: Option<String>,
    /// The console's cookies are sent over HTTPS only (`Secure`): set it whenever people reach
    /// the gateway through HTTPS (a TLS proxy in front), as every deployment should.
    #[arg(long, env = "WUGUAN_SECURE_COOKIES", default_value_t = false)]
    secure_cookies: bool,
}

#[derive(Args)]
struct TokenArgs {
    /// Name of the calling system, e.g. `hotline-12345`.
    #[arg(long)]
    subject: String,
    /// `service` (another department's system, one town) or `county` (a county-wide
    /// service identity, e.g. dispatch's token for the registry).
    #[arg(long, default_value = "service")]
    role: String,
    /// The town the system acts in (required for `service`).
    #[arg(long)]
    town: Option<String>,
    #[arg(long, default_value = "demo")]
    county: String,
    /// The responsible unit the system acts for, if any (e.g. the police station's unit id).
    #[arg(long)]
    unit: Option<String>,
    /// Lifetime in days (at most 366; rotate before it ends).
    #[arg(long, default_value_t = 90)]
    days: u64,
    #[arg(long, env = "WUGUAN_JWT_PRIVATE_KEY", default_value = "data/jwt-private.pem")]
    jwt_private_key: PathBuf,
    /// The registry's database: the token is recorded there, so the county lists it and can
    /// revoke it (the console's 服务令牌 page, `DELETE /api/v1/service-tokens/{id}`). Without
    /// it the token is unlisted and only a signing-key rotation ends it.
    #[arg(long, env = "WUGUAN_REGISTRY_DATABASE_URL")]
    registry_database_url: Option<String>,
}

#[derive(Args)]
struct KeygenArgs {
    /// Directory for jwt-private.pem (secret, mode 0600) and jwt-public.pem; existing keys are kept.
    #[arg(long, default_value = "data")]
    dir: PathBuf,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Up(args) => up(args).await,
        Command::Registry(args) => registry(args).await,
        Command::Dispatch(args) => dispatch(args).await,
        Command::Assessment(args) => assessment(args).await,
        Command::Gateway(args) => gateway(args).await,
        Command::Token(args) => token(args).await,
        Command::Migrate(args) => migrate(args).await,
        Command::Backup(args) => {
            let copied = wuguan::backup::backup(&args.data_dir, &args.to).await?;
            for path in copied {
                println!("{}", path.display());
            }
            Ok(())
        }
        Command::Health(args) => health(args).await,
        Command::InitCounty(args) => init_county(args).await,
        Command::Openapi => {
            println!("{}", serde_json::to_string_pretty(wuguan_gateway::openapi::document())?);
            Ok(())
        }
        Command::Keygen(args) => {
            std::fs::create_dir_all(&args.dir)?;
            let (private, public) = wuguan_platform::identity::KeyPair::ensure_in_dir(&args.dir)?;
            println!("{}\n{}", private.display(), public.display());
            Ok(())
        }
    }
}

async fn up(args: UpArgs) -> anyhow::Result<()> {
    let _telemetry = telemetry::init("wuguan");
    let mut config = StackConfig::sqlite(
        args.data_dir.clone(),
        &args.registry_listen,
        &args.dispatch_listen,
        &args.assessment_listen,
        &args.gateway_listen,
    );
    config.load_demo = !args.no_demo;
    config.metrics_listen = Some(args.metrics_listen.clone());
    // Every setting a service takes, for a one-machine office.
    let urls = [
        (&mut config.registry_database_url, args.registry_database_url),
        (&mut config.dispatch_database_url, args.dispatch_database_url),
        (&mut config.assessment_database_url, args.assessment_database_url),
    ];
    for (url, given) in urls {
        if let Some(given) = given.filter(|u| !u.trim().is_empty()) {
            *url = given;
        }
    }
    config.pool = args.tuning.pool();
    config.limits = args.tuning.limits();
    config.sweep = args.sweep.config();
    config.outbox_interval = Duration::from_secs(args.outbox.outbox_interval_secs.max(1));
    config.token_ttl = Duration::from_secs(args.sign_in.token_ttl_secs);
    config.public_requests_per_minute = args.sign_in.public_requests_per_minute;
    config.client_ip_header = args.sign_in.client_ip_header;
    config.secure_cookies = args.sign_in.secure_cookies;
    let mut stack = Stack::start(config).await?;
    let base = format!("http://{}", stack.gateway_addr);
    println!();
    println!("wuguan is running (data in {})", args.data_dir.display());
    println!("  gateway   {base}   (health: {base}/healthz, API: {base}/api/v1/openapi.json)");
    println!("  console   {base}/console");
    println!("  registry  grpc://{}", stack.registry_addr);
    println!("  dispatch  grpc://{}", stack.dispatch_addr);
    println!("  assessment grpc://{}", stack.assessment_addr);
    if let Some(metrics) = stack.metrics_addr {
        println!("  metrics   http://{metrics}/metrics");
    }
    if !args.no_demo {
        println!();
        println!("demo accounts (password: {}):", wuguan_registry::demo::DEMO_PASSWORD);
        for (username, role, name) in wuguan_registry::demo::ACCOUNTS {
            println!("  {username:<30} {:<18} {name}", role.as_str());
        }
    }
    println!();
    println!("sign in:  curl -s -X POST {base}/api/v1/auth/login -H 'content-type: application/json' \\");
    println!("            -d '{{\"username\":\"zhongxing.town_office\",\"password\":\"demo\"}}'");
    println!("Ctrl-C stops it.");
    tokio::select! {
        result = stack.wait_any() => result?,
        _ = serving::shutdown_signal() => {
            tracing::info!("shutting down");
            stack.stop().await?;
        }
    }
    Ok(())
}

async fn registry(args: RegistryArgs) -> anyhow::Result<()> {
    let _telemetry = telemetry::init("wuguan-registry");
    let s = args.service.start("registry").await?;
    let config = wuguan_registry::server::RegistryConfig {
        database_url: s.database_url,
        migrate: s.migrate,
        jwt_public_key: s.jwt_public_key,
        load_demo: s.load_demo,
        pool: s.pool,
        limits: s.limits,
    };
    let (ready, _) = tokio::sync::oneshot::channel();
    wuguan_registry::server::run(config, s.listener, serving::shutdown_signal(), ready).await
}

async fn dispatch(args: DispatchArgs) -> anyhow::Result<()> {
    let _telemetry = telemetry::init("wuguan-dispatch");
    let registry_token = required_secret("--registry-token", args.registry_token, args.registry_token_file)?;
    let s = args.service.start("dispatch").await?;
    let config = wuguan_dispatch::server::DispatchConfig {
        database_url: s.database_url,
        migrate: s.migrate,
        jwt_public_key: s.jwt_public_key,
        registry_url: args.registry_url,
        registry_token,
        load_demo: s.load_demo,
        pool: s.pool,
        limits: s.limits,
        sweep: args.sweep.config(),
    };
    let (ready, _) = tokio::sync::oneshot::channel();
    wuguan_dispatch::server::run(config, s.listener, serving::shutdown_signal(), ready).await
}

async fn assessment(args: AssessmentArgs) -> anyhow::Result<()> {
    let _telemetry = telemetry::init("wuguan-assessment");
    let service_token = required_secret("--service-token", args.service_token, args.service_token_file)?;
    let s = args.service.start("assessment").await?;
    let config = wuguan_assessment::server::AssessmentConfig {
        database_url: s.database_url,
        migrate: s.migrate,
        jwt_public_key: s.jwt_public_key,
        registry_url: args.registry_url,
        dispatch_url: args.dispatch_url,
        service_token,
        load_demo: s.load_demo,
        pool: s.pool,
        limits: s.limits,
        outbox_interval: Duration::from_secs(args.outbox.outbox_interval_secs.max(1)),
    };
    let (ready, _) = tokio::sync::oneshot::channel();
    wuguan_assessment::server::run(config, s.listener, serving::shutdown_signal(), ready).await
}

async fn gateway(args: GatewayArgs) -> anyhow::Result<()> {
    let _telemetry = telemetry::init("wuguan-gateway");
    let (listener, addr) = serving::bind(&args.listen).await?;
    tracing::info!(%addr, "gateway listening");
    let config = wuguan_gateway::GatewayConfig {
        registry_url: args.registry_url,
        dispatch_url: args.dispatch_url,
        assessment_url: args.assessment_url,
        jwt_private_key: args.jwt_private_key,
        jwt_public_key: args.jwt_public_key,
        token_ttl: Duration::from_secs(args.sign_in.token_ttl_secs),
        request_timeout: Duration::from_secs(args.request_timeout_secs),
        public_requests_per_minute: args.sign_in.public_requests_per_minute,
        client_ip_header: args.sign_in.client_ip_header,
        secure_cookies: args.sign_in.secure_cookies,
    };
    if let Some(listen) = &args.admin_listen {
        let (admin, addr) = serving::bind(listen).await?;
        tracing::info!(%addr, "admin (metrics) listening");
        tokio::spawn(wuguan_platform::admin::serve_metrics(admin, serving::shutdown_signal()));
    }
    wuguan_gateway::run(config, listener, serving::shutdown_signal()).await
}

/// A secret given directly or, preferably, in a file (container secrets); the file wins.
fn secret(value: String, file: Option<PathBuf>) -> anyhow::Result<String> {
    match file {
        Some(path) => read_secret(&path),
        None => Ok(value),
    }
}

fn required_secret(flag: &str, value: Option<String>, file: Option<PathBuf>) -> anyhow::Result<String> {
    match (value, file) {
        (_, Some(path)) => read_secret(&path),
        (Some(value), None) if !value.trim().is_empty() => Ok(value),
        _ => anyhow::bail!("{flag} (or {flag}-file) is required"),
    }
}

fn read_secret(path: &std::path::Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
    let text = text.trim();
    anyhow::ensure!(!text.is_empty(), "{} is empty", path.display());
    Ok(text.to_owned())
}

/// Starts the service's admin port (`/healthz`, `/metrics`) when one is configured.
async fn admin(ops: &ServiceOps, grpc_addr: std::net::SocketAddr) -> anyhow::Result<()> {
    if let Some(listen) = &ops.admin_listen {
        let (listener, addr) = serving::bind(listen).await?;
        tracing::info!(%addr, "admin listening");
        tokio::spawn(wuguan_platform::admin::serve(listener, grpc_addr, serving::shutdown_signal()));
    }
    Ok(())
}

async fn migrate(args: MigrateArgs) -> anyhow::Result<()> {
    let _telemetry = telemetry::init("wuguan-migrate");
    let pool = PoolConfig { max_connections: 2, ..PoolConfig::default() };
    let optional = |value: Option<String>, file: Option<PathBuf>| -> anyhow::Result<Option<String>> {
        match file {
            Some(path) => read_secret(&path).map(Some),
            None => Ok(value.filter(|v| !v.trim().is_empty())),
        }
    };
    let registry = optional(args.registry_database_url, args.registry_database_url_file)?;
    let dispatch = optional(args.dispatch_database_url, args.dispatch_database_url_file)?;
    let assessment = optional(args.assessment_database_url, args.assessment_database_url_file)?;
    anyhow::ensure!(
        registry.is_some() || dispatch.is_some() || assessment.is_some(),
        "give at least one of --registry-database-url, --dispatch-database-url, --assessment-database-url (or their -file forms)"
    );
    if let Some(url) = registry {
        wuguan_registry::server::open_database(&url, pool).await?.close().await;
        println!("registry: migrated");
    }
    if let Some(url) = dispatch {
        wuguan_dispatch::server::open_database(&url, pool).await?.close().await;
        println!("dispatch: migrated");
    }
    if let Some(url) = assessment {
        wuguan_assessment::server::open_database(&url, pool).await?.close().await;
        println!("assessment: migrated");
    }
    Ok(())
}

async fn init_county(args: InitCountyArgs) -> anyhow::Result<()> {
    let url = match args.registry_database_url_file {
        Some(path) => read_secret(&path)?,
        None => args
            .registry_database_url
            .filter(|u| !u.trim().is_empty())
            .ok_or_else(|| anyhow::anyhow!("give --registry-database-url or --registry-database-url-file"))?,
    };
    let password = read_secret(&args.admin_password_file)?;
    let account =
        wuguan_registry::setup::init_county_at(&url, &args.code, &args.name, &args.admin_username, &password).await?;
    println!("county {} ({}) ready; sign in as {} and add its towns", args.code, args.name.trim(), account.username);
    Ok(())
}

async fn health(args: HealthArgs) -> anyhow::Result<()> {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(args.timeout_secs)).build()?;
    let resp = client.get(&args.url).send().await?;
    anyhow::ensure!(resp.status().is_success(), "{} answered {}", args.url, resp.status());
    Ok(())
}

async fn token(args: TokenArgs) -> anyhow::Result<()> {
    if args.subject.trim().is_empty() {
        anyhow::bail!("--subject must not be empty");
    }
    let role = match args.role.as_str() {
        "service" => Role::Service,
        "county" => Role::County,
        other => anyhow::bail!("--role must be service or county, got {other:?}"),
    };
    let town = match (role, args.town) {
        (Role::Service, None) => anyhow::bail!("--town is required for a service token"),
        (Role::County, Some(_)) => anyhow::bail!("a county token covers every town: leave out --town"),
        (_, town) => town,
    };
    anyhow::ensure!((1..=366).contains(&args.days), "--days must be between 1 and 366");
    let signer = TokenSigner::from_file(&args.jwt_private_key)?;
    let life = Duration::from_secs(args.days * 24 * 3600);
    let principal = Principal { subject: args.subject, role, town, county: args.county, unit: args.unit, estate: None };
    let token = match args.registry_database_url.filter(|u| !u.trim().is_empty()) {
        Some(url) => {
            let now = wuguan_platform::db::now_ms();
            let record = wuguan_registry::model::ServiceTokenRecord {
                id: wuguan_registry::model::new_id(),
                name: principal.subject.clone(),
                role: principal.role,
                town: principal.town.clone(),
                county: principal.county.clone(),
                unit_id: principal.unit.clone(),
                created_by: "wuguan token".to_owned(),
                created_at: now,
                expires_at: now + life.as_millis() as i64,
                revoked_at: None,
                revoked_by: None,
            };
            wuguan_registry::setup::record_service_token_at(&url, &record).await?;
            eprintln!(
                "recorded as service token {} (revoke it with DELETE /api/v1/service-tokens/{})",
                record.id, record.id
            );
            signer.sign_service(&principal, &record.id, life)?
        }
        None => {
            eprintln!("not recorded (no --registry-database-url): this token cannot be revoked alone");
            signer.sign(&principal, life)?
        }
    };
    println!("{token}");
    Ok(())
}
