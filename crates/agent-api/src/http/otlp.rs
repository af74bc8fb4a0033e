//! `POST /v1/metrics`: OpenTelemetry metrics over OTLP/HTTP (`application/x-protobuf` or
//! `application/json`), with the agent's token as a bearer token — Claude Code exports its
//! usage this way (`OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`). The body is read into the
//! protocol's generated types (`opentelemetry-proto`), the usage points are picked out by the
//! domain's rules (`mc_domain::costs::telemetry`) and recorded by the core
//! (`App::ingest_usage`); other metrics are accepted and ignored, as a collector would.

use super::error::{ApiError, ApiResult, NotFound, Unprocessable, UnsupportedMediaType};
use super::extract::Caller;
use super::HttpState;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use mc_core::app::usage::UsagePoint;
use mc_domain::costs::telemetry::classify;
use opentelemetry_proto::tonic::collector::metrics::v1::{ExportMetricsServiceRequest, ExportMetricsServiceResponse};
use opentelemetry_proto::tonic::common::v1::{any_value, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{metric, number_data_point, AggregationTemporality};
use prost::Message;

const PROTOBUF: &str = "application/x-protobuf";
const JSON: &str = "application/json";

/// The export's encoding, from its content type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Protobuf,
    Json,
}

/// Receives an OTLP metrics export; its usage becomes the agent's runs, counted once.
#[utoipa::path(post, path = "/v1/metrics", operation_id = "exportMetrics", tag = "costs",
    request_body(description = "An OTLP ExportMetricsServiceRequest", content((Vec<u8> = "application/x-protobuf"), (Object = "application/json"))),
    responses((status = 200, description = "An OTLP ExportMetricsServiceResponse, in the request's encoding"), NotFound, Unprocessable, UnsupportedMediaType))]
pub async fn export(
    Caller(actor): Caller,
    State(ctx): State<HttpState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    // Too large, or cut off: the API's own error answer.
    let body = body?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let encoding = match content_type.as_str() {
        PROTOBUF => Encoding::Protobuf,
        JSON => Encoding::Json,
        other => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!("an OTLP export is {PROTOBUF} or {JSON} (got '{other}')"),
            ))
        }
    };
    let request = match encoding {
        Encoding::Protobuf => ExportMetricsServiceRequest::decode(body.as_ref())
            .map_err(|e| ApiError::bad_request(format!("not an OTLP ExportMetricsServiceRequest (protobuf): {e}")))?,
        Encoding::Json => serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request(format!("not an OTLP ExportMetricsServiceRequest (JSON): {e}")))?,
    };
    ctx.app.ingest_usage(&actor, usage_points(&request)).await?;
    let response = ExportMetricsServiceResponse::default();
    Ok(match encoding {
        Encoding::Protobuf => ([(header::CONTENT_TYPE, PROTOBUF)], response.encode_to_vec()).into_response(),
        Encoding::Json => ([(header::CONTENT_TYPE, JSON)], "{}").into_response(),
    })
}

/// A string attribute's value (other kinds are not usage's).
fn string_value(kv: &KeyValue) -> Option<&str> {
    match kv.value.as_ref()?.value.as_ref()? {
        any_value::Value::StringValue(s) => Some(s.as_str()),
        _ => None,
    }
}

/// `key=value` pairs, sorted, for a series' identity.
fn identity(attributes: &[KeyValue]) -> String {
    let mut pairs: Vec<String> = attributes
        .iter()
        .map(|kv| match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
            Some(any_value::Value::StringValue(s)) => format!("{}={s}", kv.key),
            Some(other) => format!("{}={other:?}", kv.key),
            None => format!("{}=", kv.key),
        })
        .collect();
    pairs.sort();
    pairs.join(",")
}

/// The usage points of an export: sums (Claude Code's counters) and histograms (the GenAI
/// token histogram, by its sum) of the metrics the domain counts as usage.
fn usage_points(request: &ExportMetricsServiceRequest) -> Vec<UsagePoint> {
    let mut points = Vec::new();
    for resource_metrics in &request.resource_metrics {
        let resource = resource_metrics
            .resource
            .as_ref()
            .map(|r| identity(&r.attributes))
            .unwrap_or_default();
        for scope in &resource_metrics.scope_metrics {
            for metric in &scope.metrics {
                let mut push = |attributes: &[KeyValue], cumulative: bool, start_ns: u64, time_ns: u64, value: f64| {
                    let attribute = |key: &str| attributes.iter().find(|kv| kv.key == key).and_then(string_value);
                    let Some((kind, model)) = classify(&metric.name, attribute) else {
                        return;
                    };
                    points.push(UsagePoint {
                        series: format!("{}|{resource}|{}", metric.name, identity(attributes)),
                        kind,
                        model: model.map(str::to_string),
                        cumulative,
                        start_ns,
                        time_ns,
                        value,
                    });
                };
                let cumulative = |temporality: i32| temporality == AggregationTemporality::Cumulative as i32;
                match &metric.data {
                    Some(metric::Data::Sum(sum)) => {
                        for p in &sum.data_points {
                            let value = match p.value {
                                Some(number_data_point::Value::AsDouble(v)) => v,
                                Some(number_data_point::Value::AsInt(v)) => v as f64,
                                None => continue,
                            };
                            push(
                                &p.attributes,
                                cumulative(sum.aggregation_temporality),
                                p.start_time_unix_nano,
                                p.time_unix_nano,
                                value,
                            );
                        }
                    }
                    Some(metric::Data::Histogram(histogram)) => {
                        for p in &histogram.data_points {
                            let Some(value) = p.sum else { continue };
                            push(
                                &p.attributes,
                                cumulative(histogram.aggregation_temporality),
                                p.start_time_unix_nano,
                                p.time_unix_nano,
                                value,
                            );
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    points
}
