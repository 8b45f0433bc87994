//! Who must be told of a change (GDPR Art. 18(3) and 19), read from the events.
//!
//! - Lifting a restriction: the person is told (Art. 18(3)), one task per lift.
//! - A rectification, a restriction and an erasure (kassasjon): every recipient who received
//!   the person's data before it is told (Art. 19), one task per recipient. (Informing a
//!   recipient that proves impossible or disproportionate is still recorded as done, with
//!   the reason in the case system.)
//!
//! A task stays on the worklist until a `notification_sent` event names its event and
//! recipient.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::catalogue::Code;
use crate::id::pseudonym::Pseudonym;
use crate::log::event::{Event, EventPayload, RESTRICTION_V2};

/// Why someone must be told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum NotificationReason {
    /// A restriction is lifted: tell the person (Art. 18(3)).
    RestrictionLifted,
    /// A grant was rectified: tell each recipient (Art. 19).
    Rectification,
    /// Processing was restricted: tell each recipient (Art. 19).
    Restriction,
    /// The records were erased (kassasjon): tell each recipient (Art. 19).
    Erasure,
}

/// One task of the notification worklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Notification {
    /// The event that gave rise to it (named when the task is marked done).
    pub event_id: Uuid,
    /// The subject's pseudonym.
    pub subject: Pseudonym,
    /// Why.
    pub reason: NotificationReason,
    /// The recipient to tell; `None`: the person.
    pub recipient: Option<Code>,
    /// Since when it is due (the event's time).
    pub due_at: DateTime<Utc>,
    /// The deadline, where the law sets one: a lift takes effect at this instant, and the person
    /// must be told before (Art. 18(3)). `None`: as soon as possible (Art. 19).
    pub before: Option<DateTime<Utc>>,
}

/// The tasks arising from `events` (in log order) recorded up to `until`, less those done.
pub(crate) fn due(events: &[Event], until: DateTime<Utc>) -> Vec<Notification> {
    let mut received: HashMap<Pseudonym, Vec<Code>> = HashMap::new();
    let mut done: HashSet<(Uuid, Option<Code>)> = HashSet::new();
    let mut out = Vec::new();
    for event in events {
        let Some(subject) = event.subject else {
            continue;
        };
        let recipients = |received: &HashMap<Pseudonym, Vec<Code>>| {
            received.get(&subject).map_or(Vec::new(), Clone::clone)
        };
        let task = |reason, recipient: Option<Code>| Notification {
            event_id: event.id,
            subject,
            reason,
            recipient,
            due_at: event.recorded_at,
            before: None,
        };
        match &event.payload {
            EventPayload::DisclosureRecorded(d) => {
                let list = received.entry(subject).or_default();
                if !list.contains(&d.recipient) {
                    list.push(d.recipient.clone());
                }
            }
            EventPayload::IdentitySucceeded(s) => {
                if let Some(earlier) = received.remove(&s.from) {
                    let list = received.entry(subject).or_default();
                    for recipient in earlier {
                        if !list.contains(&recipient) {
                            list.push(recipient);
                        }
                    }
                }
            }
            EventPayload::NotificationSent(n) => {
                done.insert((n.event_id, n.recipient.clone()));
            }
            _ if event.recorded_at > until => {}
            EventPayload::RestrictionLifted(lift) => {
                out.push(Notification {
                    before: Some(lift.at),
                    ..task(NotificationReason::RestrictionLifted, None)
                });
            }
            EventPayload::SubjectRectified(_) => {
                for recipient in recipients(&received) {
                    out.push(task(NotificationReason::Rectification, Some(recipient)));
                }
            }
            EventPayload::SubjectRestricted(r) if r.version >= RESTRICTION_V2 => {
                for recipient in recipients(&received) {
                    out.push(task(NotificationReason::Restriction, Some(recipient)));
                }
            }
            EventPayload::SubjectErased(x) => {
                for recipient in &x.recipients {
                    out.push(task(NotificationReason::Erasure, Some(recipient.clone())));
                }
            }
            _ => {}
        }
    }
    out.retain(|n| !done.contains(&(n.event_id, n.recipient.clone())));
    out.sort_by_key(|n| (n.due_at, n.event_id, n.recipient.clone()));
    out
}
