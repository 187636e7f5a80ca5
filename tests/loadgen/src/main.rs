//! `wuguan-loadgen`: submits complaints to a running stack over gRPC (dispatch) or HTTP (the
//! gateway), closed-loop at a fixed concurrency (to find the peak) or open-loop at a fixed rate
//! (latency measured from each request's scheduled start, so a stalled server cannot hide its
//! queueing — coordinated omission corrected by construction). Afterwards it checks that every
//! acknowledged complaint exists exactly once. Prints one JSON line per run.
//!
//! `baseline-sqlite` inserts the same rows straight into SQLite (WAL, synchronous=FULL) at the
//! same concurrency, the SQLite counterpart of the pgbench baseline in `bench/run.sh`.
//!
//! The load has the shape of a real day with an outage: `--burst-share` of the submissions
//! (a third by default) report the same thing on one estate (the first), the rest spread over
//! the town's estates and the usual categories; `preload` stores a year of history first.
//!
//! `scoring` measures how the bulletin and the annual assessment grow with the town's tickets
//! (see `scoring.rs` and `bench/scoring.sh`).

mod scoring;

use clap::{Parser, Subcommand, ValueEnum};
use hdrhistogram::Histogram;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;
use wuguan_platform::identity::TokenSigner;
use wuguan_platform::{Principal, Role};
use wuguan_proto::dispatch::v1 as pb;
use wuguan_proto::dispatch::v1::dispatch_service_client::DispatchServiceClient;

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Submit complaints to a running stack.
    Run(RunArgs),
    /// Insert equivalent rows straight into SQLite: the baseline for the SQLite runs.
    BaselineSqlite(BaselineArgs),
    /// Grow the town's tickets, then time the bulletin and the annual assessment.
    Scoring(scoring::ScoringArgs),
    /// Store history before a run: copies of the town's demo tickets over the past year.
    Preload(PreloadArgs),
    /// Print the token a run would use (for an independent load generator such as wrk).
    Token(TokenArgs),
}

#[derive(clap::Args)]
struct TokenArgs {
    #[arg(long)]
    jwt_private_key: std::path::PathBuf,
    #[arg(long, default_value = "zhongxing")]
    town: String,
    #[arg(long, value_enum, default_value = "town-office")]
    r#as: As,
}

#[derive(clap::Args)]
struct PreloadArgs {
    /// Dispatch's database (written directly: this is history, not intake).
    #[arg(long)]
    dispatch_database_url: String,
    #[arg(long, default_value = "zhongxing")]
    town: String,
    /// Make the town's stored tickets at least this many.
    #[arg(long)]
    tickets: u64,
}

/// Who submits: a system (the 12345 hotline, over gRPC, with a key on every call) or the town
/// office's clerk signed in to the console (through the gateway).
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
enum As {
    Service,
    TownOffice,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
enum Target {
    Grpc,
    Http,
}

#[derive(clap::Args)]
struct RunArgs {
    #[arg(long, value_enum)]
    target: Target,
    #[arg(long, default_value = "http://127.0.0.1:50052")]
    dispatch: String,
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    gateway: String,
    #[arg(long, default_value = "data/jwt-private.pem")]
    jwt_private_key: std::path::PathBuf,
    #[arg(long, default_value = "zhongxing")]
    town: String,
    #[arg(long, value_enum, default_value = "service")]
    r#as: As,
    /// Share of submissions about one estate and category (an outage); the rest spread.
    #[arg(long, default_value_t = 1.0 / 3.0)]
    burst_share: f64,
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Open loop at this many submissions per second; closed loop when absent.
    #[arg(long)]
    rate: Option<f64>,
    #[arg(long, default_value_t = 10)]
    duration_secs: u64,
    /// Deadline of each submission.
    #[arg(long, default_value_t = 5000)]
    deadline_ms: u64,
    /// A label for this run in the output.
    #[arg(long, default_value = "")]
    label: String,
}

#[derive(clap::Args)]
struct BaselineArgs {
    #[arg(long)]
    path: std::path::PathBuf,
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    #[arg(long, default_value_t = 10)]
    duration_secs: u64,
    #[arg(long, default_value = "sqlite-baseline")]
    label: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Ok,
    Refused,
    Failed,
}

struct Shared {
    histogram: Mutex<Histogram<u64>>,
    ok: AtomicU64,
    refused: AtomicU64,
    failed: AtomicU64,
    /// Slowest refusal, µs: refusals must come back fast.
    slowest_refusal_us: AtomicU64,
    acknowledged: Mutex<Vec<String>>,
    /// Acknowledged per second of the run, to see whether intake decays as tickets accumulate.
    per_second: Vec<AtomicU64>,
    started: Instant,
}

struct Client {
    target: Target,
    grpc: DispatchServiceClient<tonic::transport::Channel>,
    http: reqwest::Client,
    gateway: String,
    token: String,
    town: String,
    estates: Vec<String>,
    run_id: String,
    deadline: Duration,
    burst_every: Option<u64>,
}

/// Categories residents report most, cycled through by the spread part of the load.
const SPREAD: &[(pb::Category, &str)] = &[
    (pb::Category::Repair, "repair"),
    (pb::Category::Sanitation, "sanitation"),
    (pb::Category::PropertyService, "property_service"),
    (pb::Category::NeighbourDispute, "neighbour_dispute"),
    (pb::Category::IllegalStall, "illegal_stall"),
    (pb::Category::Security, "security"),
];

impl Client {
    /// The estate and category of submission `seq`: the outage's, or spread.
    fn about(&self, seq: u64) -> (&str, pb::Category, &'static str) {
        if self.burst_every.is_some_and(|every| seq.is_multiple_of(every)) {
            return (&self.estates[0], pb::Category::Repair, "repair");
        }
        let estate = &self.estates[(seq.wrapping_mul(7919) % self.estates.len() as u64) as usize];
        let (category, name) = SPREAD[(seq / 3) as usize % SPREAD.len()];
        (estate, category, name)
    }

    async fn submit(&self, seq: u64) -> (Outcome, Option<String>) {
        let (estate, category, category_name) = self.about(seq);
        let key = format!("{}-{seq}", self.run_id);
        let description = format!("负载测试 {key}");
        match self.target {
            Target::Grpc => {
                let mut req = tonic::Request::new(pb::SubmitComplaintRequest {
                    town: self.town.clone(),
                    estate_id: estate.to_owned(),
                    category: category as i32,
                    description,
                    reporter_phone: "13800000000".into(),
                    idempotency_key: key,
                    ..Default::default()
                });
                req.set_timeout(self.deadline);
                req.metadata_mut().insert("authorization", format!("Bearer {}", self.token).parse().unwrap());
                match self.grpc.clone().submit_complaint(req).await {
                    Ok(resp) => (Outcome::Ok, Some(resp.into_inner().id)),
                    Err(s) if matches!(s.code(), tonic::Code::ResourceExhausted | tonic::Code::Unavailable) => {
                        (Outcome::Refused, None)
                    }
                    Err(_) => (Outcome::Failed, None),
                }
            }
            Target::Http => {
                let resp = self
                    .http
                    .post(format!("{}/api/v1/complaints", self.gateway))
                    .bearer_auth(&self.token)
                    .header("Idempotency-Key", key)
                    .timeout(self.deadline)
                    .json(&json!({"town": self.town, "estate_id": estate, "category": category_name,
                                  "description": description, "reporter_phone": "13800000000"}))
                    .send()
                    .await;
                match resp {
                    Ok(r) if r.status().as_u16() == 201 => {
                        let id =
                            r.json::<serde_json::Value>().await.ok().and_then(|v| v["id"].as_str().map(str::to_owned));
                        (if id.is_some() { Outcome::Ok } else { Outcome::Failed }, id)
                    }
                    Ok(r) if r.status().as_u16() == 503 => (Outcome::Refused, None),
                    _ => (Outcome::Failed, None),
                }
            }
        }
    }
}

async fn record(shared: &Shared, outcome: Outcome, id: Option<String>, latency: Duration) {
    let us = latency.as_micros() as u64;
    match outcome {
        Outcome::Ok => {
            shared.ok.fetch_add(1, Ordering::Relaxed);
            let second = shared.started.elapsed().as_secs() as usize;
            if let Some(n) = shared.per_second.get(second) {
                n.fetch_add(1, Ordering::Relaxed);
            }
            shared.histogram.lock().await.saturating_record(us.max(1));
            if let Some(id) = id {
                shared.acknowledged.lock().await.push(id);
            }
        }
        Outcome::Refused => {
            shared.refused.fetch_add(1, Ordering::Relaxed);
            shared.slowest_refusal_us.fetch_max(us, Ordering::Relaxed);
        }
        Outcome::Failed => {
            shared.failed.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Every acknowledged id exists, once, among the run's tickets.
async fn verify(
    client: &Client,
    source: pb::Source,
    since_ms: i64,
    acknowledged: &[String],
) -> anyhow::Result<(bool, usize)> {
    let mut grpc = client.grpc.clone();
    let mut found = std::collections::HashMap::<String, usize>::new();
    let mut by_key = std::collections::HashMap::<String, usize>::new();
    let mut page_token = String::new();
    loop {
        let mut req = tonic::Request::new(pb::ListTicketsRequest {
            town: client.town.clone(),
            source: source as i32,
            // The run's own tickets: the history stored before it is not re-read.
            from_ms: since_ms,
            page: Some(wuguan_proto::common::v1::PageRequest { page_size: 500, page_token: page_token.clone() }),
            ..Default::default()
        });
        req.metadata_mut().insert("authorization", format!("Bearer {}", client.token).parse().unwrap());
        let resp = grpc.list_tickets(req).await?.into_inner();
        for t in resp.tickets {
            if t.description.contains(&client.run_id) {
                *found.entry(t.id).or_default() += 1;
                *by_key.entry(t.description).or_default() += 1;
            }
        }
        page_token = resp.page.unwrap_or_default().next_page_token;
        if page_token.is_empty() {
            break;
        }
    }
    let all_once = acknowledged.iter().all(|id| found.get(id) == Some(&1)) && by_key.values().all(|n| *n == 1);
    Ok((all_once, found.len()))
}

/// A token for `town` signed with the stack's key, and the source its complaints get.
fn token_for(key: &std::path::Path, town: &str, who: As) -> anyhow::Result<(String, pb::Source)> {
    let signer = TokenSigner::from_file(key)?;
    let (subject, role, source) = match who {
        As::Service => ("loadgen".to_owned(), Role::Service, pb::Source::Hotline),
        As::TownOffice => (format!("{town}.town_office"), Role::TownOffice, pb::Source::TownOffice),
    };
    let principal =
        Principal { subject, role, town: Some(town.to_owned()), county: "demo".into(), unit: None, estate: None };
    Ok((signer.sign(&principal, Duration::from_secs(3600))?, source))
}

async fn run(args: RunArgs) -> anyhow::Result<()> {
    let (token, source) = token_for(&args.jwt_private_key, &args.town, args.r#as)?;
    let http = reqwest::Client::builder().pool_max_idle_per_host(args.concurrency * 2).build()?;
    let estates: serde_json::Value = http
        .get(format!("{}/api/v1/towns/{}/estates?page_size=100", args.gateway, args.town))
        .bearer_auth(&token)
        .send()
        .await?
        .json()
        .await?;
    let estates: Vec<String> = estates["items"]
        .as_array()
        .ok_or_else(|| anyhow::anyhow!("no estates: {estates}"))?
        .iter()
        .filter_map(|e| e["id"].as_str().map(str::to_owned))
        .collect();
    anyhow::ensure!(!estates.is_empty(), "the town has no estates");
    let channel = tonic::transport::Endpoint::from_shared(args.dispatch.clone())?.tcp_nodelay(true).connect().await?;
    let run_id = format!("lg{}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis());
    let client = Arc::new(Client {
        target: args.target,
        grpc: DispatchServiceClient::new(channel),
        http,
        gateway: args.gateway.clone(),
        token,
        town: args.town.clone(),
        estates,
        run_id,
        deadline: Duration::from_millis(args.deadline_ms),
        burst_every: (args.burst_share > 0.0).then(|| (1.0 / args.burst_share.min(1.0)).round().max(1.0) as u64),
    });
    let run_started_ms =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis() as i64 - 60_000;
    let shared = Arc::new(Shared {
        histogram: Mutex::new(Histogram::new_with_bounds(1, 60_000_000, 3)?),
        ok: AtomicU64::new(0),
        refused: AtomicU64::new(0),
        failed: AtomicU64::new(0),
        slowest_refusal_us: AtomicU64::new(0),
        acknowledged: Mutex::new(Vec::new()),
        per_second: (0..args.duration_secs + 30).map(|_| AtomicU64::new(0)).collect(),
        started: Instant::now(),
    });
    let duration = Duration::from_secs(args.duration_secs);
    let started = shared.started;
    let seq = Arc::new(AtomicU64::new(0));
    match args.rate {
        None => {
            let mut workers = Vec::new();
            for _ in 0..args.concurrency {
                let (client, shared, seq) = (client.clone(), shared.clone(), seq.clone());
                workers.push(tokio::spawn(async move {
                    while started.elapsed() < duration {
                        let n = seq.fetch_add(1, Ordering::Relaxed);
                        let t0 = Instant::now();
                        let (outcome, id) = client.submit(n).await;
                        record(&shared, outcome, id, t0.elapsed()).await;
                    }
                }));
            }
            for w in workers {
                w.await?;
            }
        }
        Some(rate) => {
            anyhow::ensure!(rate > 0.0, "--rate must be positive");
            let interval = Duration::from_secs_f64(1.0 / rate);
            let total = (rate * duration.as_secs_f64()) as u64;
            let mut tasks = Vec::with_capacity(total as usize);
            for n in 0..total {
                let scheduled = started + interval.mul_f64(n as f64);
                tokio::time::sleep_until(scheduled.into()).await;
                let (client, shared) = (client.clone(), shared.clone());
                tasks.push(tokio::spawn(async move {
                    let (outcome, id) = client.submit(n).await;
                    // From the scheduled start: time spent waiting behind a slow server counts.
                    record(&shared, outcome, id, scheduled.elapsed()).await;
                }));
            }
            for t in tasks {
                t.await?;
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let acknowledged = shared.acknowledged.lock().await.clone();
    let (exactly_once, stored) = verify(&client, source, run_started_ms, &acknowledged).await?;
    let per_second: Vec<u64> =
        shared.per_second.iter().take(args.duration_secs as usize).map(|n| n.load(Ordering::Relaxed)).collect();
    // The first and last ten seconds (of runs long enough to have both apart).
    let window = |s: &[u64]| s.iter().sum::<u64>() as f64 / s.len().max(1) as f64;
    let (first_10s, last_10s) = if per_second.len() >= 30 {
        (Some(window(&per_second[..10])), Some(window(&per_second[per_second.len() - 10..])))
    } else {
        (None, None)
    };
    let h = shared.histogram.lock().await;
    let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    let ok = shared.ok.load(Ordering::Relaxed);
    println!(
        "{}",
        json!({
            "label": args.label,
            "target": format!("{:?}", args.target).to_lowercase(),
            "mode": if args.rate.is_some() { "open" } else { "closed" },
            "concurrency": args.concurrency,
            "offered_rate": args.rate,
            "seconds": elapsed,
            "ok": ok,
            "refused": shared.refused.load(Ordering::Relaxed),
            "failed": shared.failed.load(Ordering::Relaxed),
            "throughput": ok as f64 / elapsed,
            "p50_ms": ms(0.5), "p99_ms": ms(0.99), "p999_ms": ms(0.999), "max_ms": h.max() as f64 / 1000.0,
            "slowest_refusal_ms": shared.slowest_refusal_us.load(Ordering::Relaxed) as f64 / 1000.0,
            "acknowledged": acknowledged.len(),
            "stored": stored,
            "exactly_once": exactly_once,
            "as": format!("{:?}", args.r#as).to_lowercase(),
            "burst_share": args.burst_share,
            "per_second": per_second,
            "first_10s": first_10s,
            "last_10s": last_10s,
        })
    );
    anyhow::ensure!(exactly_once, "an acknowledged complaint is missing or doubled");
    Ok(())
}

/// Rows equivalent to one intake: a ticket, its two first events and its idempotency key, in
/// one transaction, with the same durability as dispatch's SQLite store.
async fn baseline_sqlite(args: BaselineArgs) -> anyhow::Result<()> {
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
    let _ = std::fs::remove_file(&args.path);
    let options = SqliteConnectOptions::new()
        .filename(&args.path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(10));
    let pool = SqlitePoolOptions::new().max_connections(args.concurrency as u32).connect_with(options).await?;
    for ddl in include_str!("../../../bench/baseline-schema.sql").split(';').filter(|s| !s.trim().is_empty()) {
        sqlx::query(sqlx::AssertSqlSafe(ddl.to_owned())).execute(&pool).await?;
    }
    let duration = Duration::from_secs(args.duration_secs);
    let started = Instant::now();
    let done = Arc::new(AtomicU64::new(0));
    let histogram = Arc::new(Mutex::new(Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?));
    let mut workers = Vec::new();
    for w in 0..args.concurrency {
        let (pool, done, histogram) = (pool.clone(), done.clone(), histogram.clone());
        workers.push(tokio::spawn(async move {
            let mut n = 0u64;
            while started.elapsed() < duration {
                let t0 = Instant::now();
                let id = format!("{w}-{n}");
                let result: Result<(), sqlx::Error> = async {
                    let mut tx = pool.begin().await?;
                    sqlx::query(include_str!("../../../bench/baseline-ticket.sql")).bind(&id).execute(&mut *tx).await?;
                    for e in 0..2 {
                        sqlx::query(include_str!("../../../bench/baseline-event.sql"))
                            .bind(format!("{id}-{e}"))
                            .bind(&id)
                            .execute(&mut *tx)
                            .await?;
                    }
                    sqlx::query(include_str!("../../../bench/baseline-key.sql"))
                        .bind(&id)
                        .bind(&id)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await
                }
                .await;
                if result.is_ok() {
                    done.fetch_add(1, Ordering::Relaxed);
                    histogram.lock().await.saturating_record(t0.elapsed().as_micros() as u64);
                }
                n += 1;
            }
        }));
    }
    for w in workers {
        w.await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let h = histogram.lock().await;
    let ok = done.load(Ordering::Relaxed);
    println!(
        "{}",
        json!({"label": args.label, "tool": "sqlx", "concurrency": args.concurrency, "seconds": elapsed, "ok": ok,
               "throughput": ok as f64 / elapsed, "p50_ms": h.value_at_quantile(0.5) as f64 / 1000.0,
               "p99_ms": h.value_at_quantile(0.99) as f64 / 1000.0, "p999_ms": h.value_at_quantile(0.999) as f64 / 1000.0})
    );
    Ok(())
}

async fn preload(args: PreloadArgs) -> anyhow::Result<()> {
    use wuguan_platform::db::{Db, PoolConfig};
    let db = Db::connect(&args.dispatch_database_url, PoolConfig::default()).await?;
    let started = Instant::now();
    let have = scoring::count(&db, &args.town).await?;
    let add = (args.tickets as i64 - have).max(0);
    if add > 0 {
        let already = scoring::added_before(&db).await?;
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis() as i64;
        scoring::add_tickets(&db, &args.town, (now - scoring::YEAR_MS, scoring::YEAR_MS), already + 1, already + add)
            .await?;
    }
    let tickets = scoring::count(&db, &args.town).await?;
    anyhow::ensure!(
        tickets >= args.tickets as i64,
        "the town has {tickets} tickets, not {}: copies are made of its demo tickets (start dispatch with --demo)",
        args.tickets
    );
    println!(
        "{}",
        json!({"label": "preload", "town": args.town, "tickets": tickets, "added": add, "seconds": started.elapsed().as_secs_f64()})
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Run(args) => run(args).await,
        Command::BaselineSqlite(args) => baseline_sqlite(args).await,
        Command::Scoring(args) => scoring::scoring(args).await,
        Command::Preload(args) => preload(args).await,
        Command::Token(args) => {
            println!("{}", token_for(&args.jwt_private_key, &args.town, args.r#as)?.0);
            Ok(())
        }
    }
}
