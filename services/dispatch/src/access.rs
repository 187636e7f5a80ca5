//! Who sees which ticket, whose phone number, and what a list is narrowed to: every visibility
//! rule of dispatch in one place, used by the RPCs, the watch stream and the lists alike.

use crate::lifecycle;
use crate::model::{Ticket, TicketFilter};
use wuguan_platform::error::ServiceResult;
use wuguan_platform::{Principal, Role, ServiceError};

/// Roles that act for a responsible unit.
pub const UNIT_ROLES: &[Role] = &[Role::Community, Role::PropertyCompany, Role::Police, Role::UrbanManagement];

/// Everyone who works tickets (not residents or owner representatives).
pub const STAFF: &[Role] = &[
    Role::County,
    Role::TownOffice,
    Role::Community,
    Role::PropertyCompany,
    Role::Police,
    Role::UrbanManagement,
    Role::Service,
];

/// Whether the principal may see the ticket at all.
pub fn can_see(p: &Principal, t: &Ticket) -> bool {
    if p.role == Role::County {
        return p.county == t.county;
    }
    if p.town.as_deref() != Some(t.town.as_str()) {
        return false;
    }
    match p.role {
        Role::TownOffice => true,
        Role::Service if p.unit.is_none() => true,
        Role::Resident => lifecycle::is_submitter(p, t),
        // An owner representative speaks for an estate's owners: they see its tickets, and
        // work (add progress to) those their unit co-handles. One with no estate sees what they
        // submitted and what their unit is named on.
        Role::OwnerRep => {
            lifecycle::is_submitter(p, t)
                || p.estate.as_deref() == Some(t.estate_id.as_str())
                || (p.estate.is_none() && lifecycle::is_co_handler(p, t))
        }
        _ => lifecycle::is_assignee(p, t) || lifecycle::is_co_handler(p, t) || t.submitted_by == p.subject,
    }
}

/// Reporter phone numbers in full: the town office, the assigned unit, and the reporter.
pub fn can_see_phone(p: &Principal, t: &Ticket) -> bool {
    p.role == Role::TownOffice || lifecycle::is_assignee(p, t) || t.submitted_by == p.subject
}

/// Narrows a list filter to what the caller may see, so the store pages over visible rows;
/// refuses a filter that asks for someone else's estate or unit.
pub fn scope_list(p: &Principal, filter: &mut TicketFilter) -> ServiceResult<()> {
    match p.role {
        Role::OwnerRep if p.estate.is_some() => {
            if filter.estate_id.is_some() && filter.estate_id != p.estate {
                return Err(ServiceError::permission_denied("you may list only your estate's tickets"));
            }
            filter.estate_id = p.estate.clone();
        }
        Role::Resident | Role::OwnerRep => filter.submitted_by = Some(p.subject.clone()),
        _ => {
            if let Some(unit) = own_unit(p)? {
                if filter.unit_id.as_ref().is_some_and(|u| *u != unit) {
                    return Err(ServiceError::permission_denied("you may list only your own unit's tickets"));
                }
                filter.unit_id = Some(unit);
            }
        }
    }
    Ok(())
}

/// The unit whose tickets alone an account follows (a unit's own staff, or a system acting for
/// one); None for those who see the whole town.
pub fn own_unit(p: &Principal) -> ServiceResult<Option<String>> {
    if UNIT_ROLES.contains(&p.role) || (p.role == Role::Service && p.unit.is_some()) {
        let unit = p.unit.clone().ok_or_else(|| ServiceError::permission_denied("this account acts for no unit"))?;
        return Ok(Some(unit));
    }
    Ok(None)
}
