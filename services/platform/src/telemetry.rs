//! Telemetry, initialised once per process: `tracing` to stderr (filtered by `RUST_LOG`, text or
//! JSON by `WUGUAN_LOG_FORMAT`), plus OpenTelemetry OTLP export when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is set. The filter applies to the fmt layer only, so spans still
//! reach the OpenTelemetry layer and trace ids propagate even at `RUST_LOG=warn`.

use opentelemetry::propagation::{Extractor, Injector};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Flushes pending spans when dropped; keep it alive for the life of `main`.
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take() {
            let _ = provider.shutdown();
        }
    }
}

pub fn init(service_name: &'static str) -> TelemetryGuard {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("WUGUAN_LOG_FORMAT").is_ok_and(|v| v == "json");
    let fmt_layer = if json {
        tracing_subscriber::fmt::layer().json().with_writer(std::io::stderr).with_filter(filter).boxed()
    } else {
        tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_filter(filter).boxed()
    };

    let provider = std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").ok().filter(|v| !v.is_empty()).and_then(|_| {
        match opentelemetry_otlp::SpanExporter::builder().with_tonic().build() {
            Ok(exporter) => Some(
                SdkTracerProvider::builder()
                    .with_batch_exporter(exporter)
                    .with_resource(opentelemetry_sdk::Resource::builder().with_service_name(service_name).build())
                    .build(),
            ),
            Err(e) => {
                eprintln!("OTLP exporter not started: {e}");
                None
            }
        }
    });
    let otel_layer = provider.as_ref().map(|p| tracing_opentelemetry::layer().with_tracer(p.tracer(service_name)));
    // try_init: tests start several services in one process; the first one wins.
    let _ = tracing_subscriber::registry().with(fmt_layer).with(otel_layer).try_init();
    TelemetryGuard { provider }
}

struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

struct MetadataInjector<'a>(&'a mut tonic::metadata::MetadataMap);

impl Injector for MetadataInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(key), Ok(value)) = (
            tonic::metadata::MetadataKey::from_bytes(key.as_bytes()),
            tonic::metadata::MetadataValue::try_from(value.as_str()),
        ) {
            self.0.insert(key, value);
        }
    }
}

/// Makes `span` a child of the trace context in incoming HTTP/gRPC headers (`traceparent`) and
/// records the trace id in its `trace_id` field, so every log line under it carries the id
/// (from the span when traces are exported, else from the caller's `traceparent`).
pub fn set_parent_from_headers(span: &tracing::Span, headers: &http::HeaderMap) {
    use opentelemetry::trace::{TraceContextExt, TraceId};
    let parent = opentelemetry::global::get_text_map_propagator(|p| p.extract(&HeaderExtractor(headers)));
    let from_caller = parent.span().span_context().trace_id();
    let _ = span.set_parent(parent);
    let own = span.context().span().span_context().trace_id();
    let id = if own != TraceId::INVALID { own } else { from_caller };
    if id != TraceId::INVALID {
        span.record("trace_id", tracing::field::display(id));
    }
}

/// Writes the current span's trace context into outgoing gRPC metadata.
pub fn inject_current_context(metadata: &mut tonic::metadata::MetadataMap) {
    let cx = tracing::Span::current().context();
    opentelemetry::global::get_text_map_propagator(|p| p.inject_context(&cx, &mut MetadataInjector(metadata)));
}
