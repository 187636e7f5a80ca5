//! One action on a ticket, typed: what `POST /complaints/{id}/{action}` reads from its JSON body
//! and the console reads from its form, turned into dispatch's gRPC request in one place.

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Bearer, named_field, parse_json};
use crate::views::complaints::parse_instant;
use crate::vocab::wire;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use utoipa::ToSchema;
use wuguan_platform::ErrorCode;
use wuguan_proto::dispatch::v1 as pb;
use wuguan_proto::vocab::dispatch::{ReturnReason, Satisfaction};

/// An action that carries nothing (an empty object, or no body at all).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Nothing {}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Measures {
    pub measures: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    pub reason: String,
}

/// A unit returns a ticket (退单): why, as a code and in its own words.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Return {
    /// A built-in `ReturnReason` name, or the code of one of the town's own reasons
    /// (`GET /towns/{town}/return-reasons`).
    pub reason_code: String,
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Note {
    pub note: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reassign {
    pub unit_id: String,
    #[serde(default)]
    pub person_id: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Resolve {
    pub measures_taken: String,
    /// The reply to the reporter (答复): every heading of the category's reply template on its
    /// own line with what it says, e.g. "办理结果：已更换电梯门机".
    pub reply: String,
}

/// The reporter's (or the office's) verdict on a fix; also the body of rating by tracking code.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Verify {
    #[schema(value_type = Satisfaction)]
    pub satisfaction: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Merge {
    pub into: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Extend {
    /// RFC 3339, e.g. 2026-12-20T18:00:00+08:00.
    #[schema(format = DateTime)]
    pub deadline: String,
    pub note: String,
}

/// The assigned unit's request for more time (延期申请).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtensionAsk {
    /// The deadline asked for, RFC 3339, e.g. 2026-12-20T18:00:00+08:00.
    #[schema(format = DateTime)]
    pub deadline: String,
    pub reason: String,
}

/// The town office's decision on the pending extension request; refusing needs a note.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtensionDecision {
    pub approve: bool,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OptionalNote {
    #[serde(default)]
    note: String,
}

/// An action on a ticket with what it carries.
#[derive(Debug)]
pub enum TicketAction {
    Sign(Nothing),
    Accept(Measures),
    Reject(Return),
    OverruleReturn(Note),
    Reassign(Reassign),
    Extend(Extend),
    RequestExtension(ExtensionAsk),
    DecideExtension(ExtensionDecision),
    Progress(Note),
    Resolve(Resolve),
    Verify(Verify),
    Reopen(Reason),
    Escalate(Note),
    Merge(Merge),
    /// The reporter asked for their name and number to be deleted (town office).
    ErasePersonalData(Reason),
}

/// Where an action's fields are read from.
trait Fields {
    fn read<T: DeserializeOwned>(&self) -> ApiResult<T>;
}

struct JsonFields<'a>(&'a [u8]);

impl Fields for JsonFields<'_> {
    fn read<T: DeserializeOwned>(&self) -> ApiResult<T> {
        parse_json(if self.0.is_empty() { b"{}" } else { self.0 })
    }
}

struct FormFields<'a>(&'a HashMap<String, String>);

impl Fields for FormFields<'_> {
    fn read<T: DeserializeOwned>(&self) -> ApiResult<T> {
        let pairs = self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        T::deserialize(serde::de::value::MapDeserializer::<_, serde::de::value::Error>::new(pairs)).map_err(|e| {
            let message = e.to_string();
            ApiError::invalid(named_field(&message).as_deref().unwrap_or("body"), format!("invalid form: {message}"))
        })
    }
}

impl TicketAction {
    /// The action named in the API's path, with its JSON body (unknown fields refused).
    pub fn from_json(action: &str, body: &[u8]) -> ApiResult<Self> {
        Self::read(action, &JsonFields(body))
    }

    /// The action a console form posts (its CSRF token and navigation fields already taken out).
    pub fn from_form(action: &str, fields: &HashMap<String, String>) -> ApiResult<Self> {
        Self::read(action, &FormFields(fields))
    }

    fn read(action: &str, fields: &impl Fields) -> ApiResult<Self> {
        Ok(match action {
            "sign" => Self::Sign(fields.read()?),
            "accept" => Self::Accept(fields.read()?),
            "reject" => Self::Reject(fields.read()?),
            "overrule_return" => Self::OverruleReturn(fields.read()?),
            "reassign" => Self::Reassign(fields.read()?),
            "extend" => Self::Extend(fields.read()?),
            "request_extension" => Self::RequestExtension(fields.read()?),
            "decide_extension" => Self::DecideExtension(fields.read()?),
            // The console's two buttons for the one decision (a form posts no booleans).
            "approve_extension" => {
                Self::DecideExtension(ExtensionDecision { approve: true, note: fields.read::<OptionalNote>()?.note })
            }
            "refuse_extension" => {
                Self::DecideExtension(ExtensionDecision { approve: false, note: fields.read::<OptionalNote>()?.note })
            }
            "progress" => Self::Progress(fields.read()?),
            "resolve" => Self::Resolve(fields.read()?),
            "verify" => Self::Verify(fields.read()?),
            "reopen" => Self::Reopen(fields.read()?),
            "escalate" => Self::Escalate(fields.read()?),
            "merge" => Self::Merge(fields.read()?),
            "erase_personal_data" => Self::ErasePersonalData(fields.read()?),
            _ => return Err(ApiError::new(ErrorCode::NotFound, format!("no action {action:?} on complaints"))),
        })
    }

    /// Sends the action on ticket `id` to dispatch as the caller; the ticket as it is after.
    pub async fn send(self, s: &AppState, bearer: &Bearer, id: String) -> ApiResult<pb::Ticket> {
        let mut client = s.upstreams.dispatch();
        // One request per call, as the caller (`request` is generic, a closure could not be).
        macro_rules! r {
            ($m:expr) => {
                s.upstreams.request(bearer, $m)
            };
        }
        let ticket = match self {
            Self::Sign(_) => client.sign_ticket(r!(pb::SignTicketRequest { id })).await?,
            Self::Accept(b) => client.accept_ticket(r!(pb::AcceptTicketRequest { id, measures: b.measures })).await?,
            Self::Reject(b) => {
                // A built-in reason by its name; anything else is one of the town's own.
                let (reason_code, town_reason_code) = match wire::<ReturnReason>("reason_code", &b.reason_code) {
                    Ok(code) => (code, String::new()),
                    Err(_) => (0, b.reason_code),
                };
                let req = pb::RejectTicketRequest { id, reason: b.reason, reason_code, town_reason_code };
                client
                    .reject_ticket(r!(req))
                    .await
                    .map_err(|e| ApiError::from(e).renamed("town_reason_code", "reason_code"))?
            }
            Self::OverruleReturn(b) => {
                client.overrule_return(r!(pb::OverruleReturnRequest { id, note: b.note })).await?
            }
            Self::Reassign(b) => {
                let req = pb::ReassignTicketRequest { id, unit_id: b.unit_id, person_id: b.person_id, note: b.note };
                client.reassign_ticket(r!(req)).await?
            }
            Self::Extend(b) => {
                let resolve_by_ms = parse_instant("deadline", &b.deadline)?;
                client
                    .extend_deadline(r!(pb::ExtendDeadlineRequest { id, resolve_by_ms, note: b.note }))
                    .await
                    .map_err(|e| ApiError::from(e).renamed("resolve_by", "deadline"))?
            }
            Self::RequestExtension(b) => {
                let resolve_by_ms = parse_instant("deadline", &b.deadline)?;
                let req = pb::RequestExtensionRequest { id, resolve_by_ms, reason: b.reason };
                client
                    .request_extension(r!(req))
                    .await
                    .map_err(|e| ApiError::from(e).renamed("resolve_by", "deadline"))?
            }
            Self::DecideExtension(b) => {
                let req = pb::DecideExtensionRequest { id, approve: b.approve, note: b.note };
                client.decide_extension(r!(req)).await?
            }
            Self::Progress(b) => client.add_progress(r!(pb::AddProgressRequest { id, note: b.note })).await?,
            Self::Resolve(b) => {
                let req = pb::ResolveTicketRequest { id, measures_taken: b.measures_taken, reply: b.reply };
                client.resolve_ticket(r!(req)).await?
            }
            Self::Verify(b) => {
                let satisfaction = wire::<Satisfaction>("satisfaction", &b.satisfaction)?;
                client.verify_ticket(r!(pb::VerifyTicketRequest { id, satisfaction, note: b.note })).await?
            }
            Self::Reopen(b) => client.reopen_ticket(r!(pb::ReopenTicketRequest { id, reason: b.reason })).await?,
            Self::Escalate(b) => client.escalate_ticket(r!(pb::EscalateTicketRequest { id, note: b.note })).await?,
            Self::Merge(b) => {
                client.merge_ticket(r!(pb::MergeTicketRequest { id, into_id: b.into, note: b.note })).await?
            }
            Self::ErasePersonalData(b) => {
                client.erase_personal_data(r!(pb::ErasePersonalDataRequest { id, reason: b.reason })).await?
            }
        };
        Ok(ticket.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_and_form_read_the_same_action_and_name_the_field() {
        let json = TicketAction::from_json("reassign", r#"{"unit_id": "u1", "note": "改派"}"#.as_bytes()).unwrap();
        let form: HashMap<String, String> =
            [("unit_id".to_owned(), "u1".to_owned()), ("note".to_owned(), "改派".to_owned())].into();
        let from_form = TicketAction::from_form("reassign", &form).unwrap();
        for action in [json, from_form] {
            let TicketAction::Reassign(r) = action else { panic!("not a reassignment: {action:?}") };
            assert_eq!((r.unit_id.as_str(), r.person_id.as_str(), r.note.as_str()), ("u1", "", "改派"));
        }
        let err = TicketAction::from_form("accept", &HashMap::new()).unwrap_err();
        assert_eq!((err.0.code, err.0.field.as_deref()), (ErrorCode::InvalidArgument, Some("measures")));
        let err = TicketAction::from_json("accept", br#"{"measures": "x", "extra": 1}"#).unwrap_err();
        assert_eq!(err.0.field.as_deref(), Some("extra"));
        let unknown: HashMap<String, String> = [("surprise".to_owned(), "1".to_owned())].into();
        let err = TicketAction::from_form("progress", &unknown).unwrap_err();
        assert_eq!(err.0.field.as_deref(), Some("surprise"));
        let err = TicketAction::from_json("fly", b"{}").unwrap_err();
        assert_eq!(err.0.code, ErrorCode::NotFound);
    }
}
