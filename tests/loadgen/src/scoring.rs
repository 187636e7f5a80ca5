//! `wuguan-loadgen scoring`: how the monthly bulletin and the annual assessment cost grows with
//! the town's tickets. Grows dispatch's database by copies of the demo tickets spread over the
//! assessed year (written straight into the database: this measures reading, not intake), then
//! times, in the same run, a baseline — the database alone aggregating the same tickets per
//! unit — and the bulletin and annual assessment over gRPC. Prints one JSON line.

use serde_json::json;
use std::time::{Duration, Instant};
use wuguan_platform::db::{Db, PoolConfig};
use wuguan_platform::identity::TokenSigner;
use wuguan_platform::local_time::day_start_ms;
use wuguan_platform::{Principal, Role};
use wuguan_proto::assessment::v1 as pb;
use wuguan_proto::assessment::v1::assessment_service_client::AssessmentServiceClient;

#[derive(clap::Args)]
pub struct ScoringArgs {
    /// Dispatch's database (where the tickets are added).
    #[arg(long)]
    dispatch_database_url: String,
    #[arg(long, default_value = "http://127.0.0.1:50053")]
    assessment: String,
    #[arg(long)]
    jwt_private_key: std::path::PathBuf,
    #[arg(long, default_value = "zhongxing")]
    town: String,
    /// The assessed year: the added tickets are spread over it.
    #[arg(long)]
    year: i32,
    /// Tickets to add before measuring.
    #[arg(long)]
    add: u64,
    /// Timed repetitions of each measurement (the median is reported).
    #[arg(long, default_value_t = 5)]
    reps: usize,
    #[arg(long)]
    label: String,
}

const COLUMNS: &str = "id, town, county, tracking_code, estate_id, estate_name, category, source, description, status, \
    level, unit_type, unit_id, unit_name, person_id, person_name, respond_by, resolve_by, measures, co_handlers, \
    reporter_name, reporter_phone, anonymous, submitted_by, created_at, updated_at, responded_at, resolved_at, \
    satisfaction, escalated_l1_at, escalated_l2_at, county_report, version, repeat_of, merged_into";

/// A copy of demo ticket `d` as ticket number `i`, created at `$start + (i · STEP mod $span)`
/// with every instant shifted alike: STEP (about 29 hours, prime) spreads consecutive copies over
/// the whole year. `$1..$5`: first number, last number, town, year start, year span.
fn copy_select(series: &str) -> String {
    let shift = "(($4 + (s.i * 104729003) % $5) - d.created_at)";
    format!(
        "INSERT INTO tickets ({COLUMNS}) {series} \
         , demo AS (SELECT t.*, ROW_NUMBER() OVER (ORDER BY t.id) - 1 AS k FROM tickets t \
                    WHERE t.town = $3 AND t.id NOT LIKE 'bench-%'), \
           n AS (SELECT COUNT(*) AS c FROM demo) \
         SELECT 'bench-' || s.i, d.town, d.county, 'B' || s.i, d.estate_id, d.estate_name, d.category, d.source, \
                d.description, d.status, d.level, d.unit_type, d.unit_id, d.unit_name, d.person_id, d.person_name, \
                d.respond_by + {shift}, d.resolve_by + {shift}, d.measures, d.co_handlers, d.reporter_name, \
                d.reporter_phone, d.anonymous, d.submitted_by, d.created_at + {shift}, d.updated_at + {shift}, \
                d.responded_at + {shift}, d.resolved_at + {shift}, d.satisfaction, d.escalated_l1_at + {shift}, \
                d.escalated_l2_at + {shift}, d.county_report, d.version, NULL, NULL \
         FROM s JOIN demo d ON d.k = s.i % (SELECT c FROM n)"
    )
}

/// Adds tickets numbered `first..=last`, copies of the town's demo tickets spread over the
/// `span` ms from `start` (see `copy_select`).
pub async fn add_tickets(db: &Db, town: &str, (start, span): (i64, i64), first: i64, last: i64) -> anyhow::Result<()> {
    // The same statement on either pool (the pools are different types).
    macro_rules! copy {
        ($pool:expr, $series:expr, $from:expr, $to:expr) => {
            sqlx::query(sqlx::AssertSqlSafe(copy_select($series)))
                .bind($from)
                .bind($to)
                .bind(town)
                .bind(start)
                .bind(span)
                .execute($pool)
                .await?
        };
    }
    // Bounded statements: SQLite runs each in one transaction (a small journal), and Postgres's
    // per-day-counts trigger holds a statement's rows in memory.
    let mut from = first;
    while from <= last {
        let to = (from + 99_999).min(last);
        match db {
            Db::Sqlite(pool) => {
                copy!(pool, "WITH RECURSIVE s(i) AS (SELECT $1 UNION ALL SELECT i + 1 FROM s WHERE i < $2)", from, to);
            }
            Db::Postgres(pool) => {
                copy!(pool, "WITH s AS (SELECT generate_series($1::bigint, $2::bigint) AS i)", from, to);
            }
        }
        from = to + 1;
    }
    if let Db::Postgres(pool) = db {
        sqlx::query("ANALYZE tickets").execute(pool).await?;
    }
    Ok(())
}

/// The database alone: the year's tickets of the town counted per unit, with the rates' sums.
const BASELINE: &str = "SELECT unit_id, COUNT(*), \
    SUM(CASE WHEN status IN ('resolved', 'verified', 'closed') THEN 1 ELSE 0 END), \
    SUM(CASE WHEN satisfaction IS NOT NULL THEN 1 ELSE 0 END) \
    FROM tickets WHERE town = $1 AND created_at >= $2 AND created_at < $3 GROUP BY unit_id";

async fn baseline(db: &Db, town: &str, from_ms: i64, to_ms: i64) -> anyhow::Result<()> {
    match db {
        Db::Sqlite(pool) => {
            sqlx::query(BASELINE).bind(town).bind(from_ms).bind(to_ms).fetch_all(pool).await?;
        }
        Db::Postgres(pool) => {
            sqlx::query(BASELINE).bind(town).bind(from_ms).bind(to_ms).fetch_all(pool).await?;
        }
    }
    Ok(())
}

pub const YEAR_MS: i64 = 365 * 86_400_000;

/// Tickets the earlier runs added (their numbers continue from there).
pub async fn added_before(db: &Db) -> anyhow::Result<i64> {
    Ok(match db {
        Db::Sqlite(pool) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM tickets WHERE id LIKE 'bench-%'").fetch_one(pool).await?
        }
        Db::Postgres(pool) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM tickets WHERE id LIKE 'bench-%'").fetch_one(pool).await?
        }
    })
}

pub async fn count(db: &Db, town: &str) -> anyhow::Result<i64> {
    Ok(match db {
        Db::Sqlite(pool) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM tickets WHERE town = $1").bind(town).fetch_one(pool).await?
        }
        Db::Postgres(pool) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM tickets WHERE town = $1").bind(town).fetch_one(pool).await?
        }
    })
}

/// Median milliseconds of `reps` runs of `f` (after one untimed warm-up).
async fn median_ms<F, Fut>(reps: usize, mut f: F) -> anyhow::Result<f64>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    f().await?;
    let mut times = Vec::with_capacity(reps);
    for _ in 0..reps.max(1) {
        let t0 = Instant::now();
        f().await?;
        times.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

pub async fn scoring(args: ScoringArgs) -> anyhow::Result<()> {
    let db = Db::connect(&args.dispatch_database_url, PoolConfig::default()).await?;
    let before = count(&db, &args.town).await?;
    let seeded = Instant::now();
    // Numbers continue from earlier runs on the same database.
    let already = added_before(&db).await?;
    if args.add > 0 {
        let start =
            day_start_ms(chrono::NaiveDate::from_ymd_opt(args.year, 1, 1).ok_or_else(|| anyhow::anyhow!("year"))?);
        add_tickets(&db, &args.town, (start, YEAR_MS), already + 1, already + args.add as i64).await?;
    }
    let seed_secs = seeded.elapsed().as_secs_f64();
    let tickets = count(&db, &args.town).await?;
    anyhow::ensure!(tickets >= before + args.add as i64, "expected {} more tickets, have {tickets}", args.add);

    let signer = TokenSigner::from_file(&args.jwt_private_key)?;
    let token = signer.sign(
        &Principal {
            subject: "loadgen".into(),
            role: Role::TownOffice,
            town: Some(args.town.clone()),
            county: "demo".into(),
            unit: None,
            estate: None,
        },
        Duration::from_secs(3600),
    )?;
    let channel = tonic::transport::Endpoint::from_shared(args.assessment.clone())?.connect().await?;
    let call = |month: Option<String>| {
        let (channel, token, town) = (channel.clone(), token.clone(), args.town.clone());
        let year = args.year;
        async move {
            let mut client = AssessmentServiceClient::new(channel).max_decoding_message_size(64 << 20);
            let auth: tonic::metadata::MetadataValue<_> = format!("Bearer {token}").parse()?;
            match month {
                Some(month) => {
                    let mut req = tonic::Request::new(pb::GetBulletinRequest { town, month });
                    req.metadata_mut().insert("authorization", auth);
                    client.get_bulletin(req).await?;
                }
                None => {
                    let mut req = tonic::Request::new(pb::GetAssessmentRequest { town, year, period: "annual".into() });
                    req.metadata_mut().insert("authorization", auth);
                    client.get_assessment(req).await?;
                }
            }
            anyhow::Ok(())
        }
    };
    let year_from = day_start_ms(chrono::NaiveDate::from_ymd_opt(args.year, 1, 1).unwrap_or_default());
    let year_to = day_start_ms(chrono::NaiveDate::from_ymd_opt(args.year + 1, 1, 1).unwrap_or_default());
    // November: a month whose bulletin is not also the year's closing one.
    let month = format!("{}-11", args.year);
    let baseline_ms = median_ms(args.reps, || baseline(&db, &args.town, year_from, year_to)).await?;
    let bulletin_ms = median_ms(args.reps, || call(Some(month.clone()))).await?;
    let annual_ms = median_ms(args.reps, || call(None)).await?;
    println!(
        "{}",
        json!({"label": args.label, "date": chrono::Utc::now().date_naive().to_string(), "tickets": tickets, "added": args.add, "seed_seconds": seed_secs,
               "reps": args.reps, "baseline_ms": baseline_ms, "bulletin_ms": bulletin_ms, "annual_ms": annual_ms})
    );
    Ok(())
}
