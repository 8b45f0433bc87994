//! The timeline of grants, withdrawals, disclosures and restrictions: computed once, drawn as
//! SVG in the HTML and as vector paths in the PDF, and listed as a table for readers who do
//! not see the picture.

use chrono::{DateTime, Utc};

use crate::doc::{Span, Spans};
use crate::i18n::Language;
use crate::keys::Key;
use crate::model::{ConsentStatus, HeldRecords};

/// What a mark on the timeline stands for; each has its own shape, so colour is never the only
/// cue (WCAG 1.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    /// Circle.
    Granted,
    /// Cross.
    Ended,
    /// Triangle.
    Disclosed,
    /// Square.
    Restricted,
    /// Hollow square.
    Lifted,
}

/// A numbered event.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Event {
    pub number: usize,
    pub at: DateTime<Utc>,
    pub kind: Kind,
    /// The lane it is drawn in.
    pub lane: usize,
    /// Its description in the document's language, names isolated.
    pub label: Spans,
    /// The text drawn beside its mark: its number, or the numbers of every event of its kind
    /// drawn at the same point of its lane ("3–6"); `None` when an earlier event's mark stands
    /// for it (the table below the picture still lists it on its own line).
    pub tag: Option<String>,
    /// Draw its number below the mark (the previous mark of its lane is too close for both
    /// numbers to sit above).
    pub number_below: bool,
}

/// A bar: a consent in force, or a restriction.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Bar {
    /// [`Kind::Granted`] for a consent, [`Kind::Restricted`] for a restriction.
    pub kind: Kind,
    pub lane: usize,
    pub from: f32,
    pub to: f32,
    /// Still running at the end of the axis.
    pub open: bool,
}

/// The whole picture, in axis units: 0.0 is the first date, 1.0 the last.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Timeline {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub lanes: Vec<String>,
    pub bars: Vec<Bar>,
    pub events: Vec<Event>,
    /// Localised labels: the picture's name, the first and last dates.
    pub title: String,
    pub start_label: String,
    pub end_label: String,
}

impl Timeline {
    /// Where `at` lies on the axis, from 0.0 to 1.0.
    #[expect(
        clippy::cast_possible_truncation,
        reason = "a position between 0.0 and 1.0 on a drawing needs no more than f32's precision"
    )]
    pub(crate) fn position(&self, at: DateTime<Utc>) -> f32 {
        let span = (self.end - self.start).num_seconds().max(1) as f64;
        let offset = (at - self.start).num_seconds() as f64;
        (offset / span).clamp(0.0, 1.0) as f32
    }
}

/// A bar before it is placed: kind, lane, from, until.
type Period = (Kind, usize, DateTime<Utc>, Option<DateTime<Utc>>);

/// A mark before it is numbered: when, what, in which lane, and its label.
struct Raw {
    at: DateTime<Utc>,
    kind: Kind,
    lane: usize,
    label: Spans,
}

/// One lane per consent, oldest first: its grant, every end, and the bar while it was in force.
fn consent_marks(
    held: &HeldRecords,
    lang: &Language,
    lanes: &mut Vec<String>,
    raw: &mut Vec<Raw>,
    spans: &mut Vec<Period>,
) {
    let mut consents: Vec<_> = held.consents.iter().collect();
    consents.sort_by_key(|c| c.given_at);
    for (i, consent) in consents.iter().enumerate() {
        let lane = lanes.len();
        lanes.push(format!("{} {}", lang.text(Key::TimelineConsents), i + 1));
        raw.push(Raw {
            at: consent.given_at,
            kind: Kind::Granted,
            lane,
            label: lang.spans(
                Key::TimelineGranted,
                &[("purpose", Span::Value(consent.purpose.clone()))],
            ),
        });
        let mut ended = None;
        for change in &consent.history {
            let key = match change.status {
                ConsentStatus::Active => continue,
                ConsentStatus::Withdrawn => Key::TimelineWithdrawn,
                ConsentStatus::Expired => Key::TimelineExpired,
                ConsentStatus::Lapsed => Key::TimelineLapsed,
            };
            ended.get_or_insert(change.at);
            raw.push(Raw {
                at: change.at,
                kind: Kind::Ended,
                lane,
                label: lang.spans(key, &[("purpose", Span::Value(consent.purpose.clone()))]),
            });
        }
        spans.push((Kind::Granted, lane, consent.given_at, ended));
    }
}

/// Marks closer than this (a fraction of the axis, under three points of the drawing) would
/// be drawn on top of each other.
const SAME_POINT: f32 = 0.005;

/// A drawn mark while it gathers events: its event's index, position, kind and the numbers.
type Cluster = (usize, f32, Kind, Vec<usize>);

/// Events of one kind at the same point of a lane (several disclosures on one day) share one
/// mark, tagged with all their numbers, so that no number is drawn over another.
fn merge_marks(timeline: &mut Timeline) {
    // Per lane: the event whose mark is drawn, its position and kind, and the numbers it tags.
    let mut head: Vec<Option<Cluster>> = vec![None; timeline.lanes.len()];
    let mut tags: Vec<(usize, Vec<usize>)> = Vec::new();
    for (i, event) in timeline.events.iter().enumerate() {
        let pos = timeline.position(event.at);
        let Some(slot) = head.get_mut(event.lane) else {
            continue;
        };
        match slot {
            Some((_, at, kind, numbers)) if *kind == event.kind && pos - *at < SAME_POINT => {
                numbers.push(event.number);
            }
            _ => {
                if let Some((drawn, _, _, numbers)) = slot.take() {
                    tags.push((drawn, numbers));
                }
                *slot = Some((i, pos, event.kind, vec![event.number]));
            }
        }
    }
    tags.extend(head.into_iter().flatten().map(|(i, _, _, n)| (i, n)));
    for event in &mut timeline.events {
        event.tag = None;
    }
    for (i, numbers) in tags {
        if let Some(event) = timeline.events.get_mut(i) {
            event.tag = Some(tag(&numbers));
        }
    }
}

/// "3", "3, 4", "3–6", or for numbers with gaps "3, 5, 8".
fn tag(numbers: &[usize]) -> String {
    let consecutive = numbers
        .windows(2)
        .all(|w| matches!(w, [a, b] if *b == *a + 1));
    match numbers {
        [first, .., last] if consecutive && numbers.len() > 2 => format!("{first}–{last}"),
        _ => numbers
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// Numbers sit above their marks; when a mark is close to the previous one in its lane, its
/// number goes below, alternating, so neighbouring numbers never overlap.
fn place_numbers(timeline: &mut Timeline) {
    let mut last: Vec<Option<(f32, bool)>> = vec![None; timeline.lanes.len()];
    for i in 0..timeline.events.len() {
        let Some(event) = timeline.events.get(i) else {
            continue;
        };
        if event.tag.is_none() {
            continue;
        }
        let pos = timeline.position(event.at);
        let Some(slot) = last.get_mut(event.lane) else {
            continue;
        };
        let below = matches!(*slot, Some((p, b)) if pos - p < 0.03 && !b);
        *slot = Some((pos, below));
        if let Some(event) = timeline.events.get_mut(i) {
            event.number_below = below;
        }
    }
}

/// Builds the timeline of `held`, or `None` when nothing happened that it shows. The axis ends
/// at `until` (the letter's date) or the last event, whichever is later.
pub(crate) fn build(held: &HeldRecords, lang: &Language, until: DateTime<Utc>) -> Option<Timeline> {
    let mut lanes = Vec::new();
    let mut raw = Vec::new();
    // (kind, lane, from, until)
    let mut spans: Vec<Period> = Vec::new();

    consent_marks(held, lang, &mut lanes, &mut raw, &mut spans);
    if !held.disclosures.is_empty() {
        let lane = lanes.len();
        lanes.push(lang.text(Key::TimelineDisclosures).to_owned());
        for disclosure in &held.disclosures {
            raw.push(Raw {
                at: disclosure.at,
                kind: Kind::Disclosed,
                lane,
                label: lang.spans(
                    Key::TimelineDisclosed,
                    &[("recipient", Span::Value(disclosure.recipient.clone()))],
                ),
            });
        }
    }
    if !held.restrictions.is_empty() {
        let lane = lanes.len();
        lanes.push(lang.text(Key::TimelineRestrictions).to_owned());
        for restriction in &held.restrictions {
            raw.push(Raw {
                at: restriction.from,
                kind: Kind::Restricted,
                lane,
                label: vec![Span::Text(lang.text(Key::TimelineRestricted).to_owned())],
            });
            if let Some(lifted) = restriction.lifted {
                raw.push(Raw {
                    at: lifted,
                    kind: Kind::Lifted,
                    lane,
                    label: vec![Span::Text(
                        lang.text(Key::TimelineRestrictionLifted).to_owned(),
                    )],
                });
            }
            spans.push((Kind::Restricted, lane, restriction.from, restriction.lifted));
        }
    }
    if raw.is_empty() {
        return None;
    }
    // A stable order: time, then kind, lane and label, so equal instants never swap.
    raw.sort_by_cached_key(|r| {
        let text: String = r.label.iter().map(Span::text).collect();
        (r.at, r.kind, r.lane, text)
    });
    let start = raw.first().map(|r| r.at)?;
    let last = raw.last().map(|r| r.at)?;
    let end = if until > last { until } else { last };
    let mut timeline = Timeline {
        start,
        end,
        lanes,
        bars: Vec::new(),
        events: Vec::new(),
        title: lang.text(Key::TimelinePicture).to_owned(),
        start_label: lang.date(start),
        end_label: lang.date(end),
    };
    timeline.events = raw
        .into_iter()
        .enumerate()
        .map(|(i, r)| Event {
            number: i + 1,
            at: r.at,
            kind: r.kind,
            lane: r.lane,
            label: r.label,
            tag: None,
            number_below: false,
        })
        .collect();
    merge_marks(&mut timeline);
    place_numbers(&mut timeline);
    timeline.bars = spans
        .into_iter()
        .map(|(kind, lane, from, to)| Bar {
            kind,
            lane,
            from: timeline.position(from),
            to: to.map_or(1.0, |t| timeline.position(t)),
            open: to.is_none(),
        })
        .collect();
    Some(timeline)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(number: usize, day: u32, kind: Kind, lane: usize) -> Event {
        Event {
            number,
            at: format!("2026-03-{day:02}T10:00:00Z")
                .parse()
                .unwrap_or_default(),
            kind,
            lane,
            label: Vec::new(),
            tag: None,
            number_below: false,
        }
    }

    #[test]
    fn events_of_a_kind_at_one_point_share_a_mark_and_every_number_stays_shown() {
        let mut timeline = Timeline {
            start: "2026-03-01T00:00:00Z".parse().unwrap_or_default(),
            end: "2029-06-04T00:00:00Z".parse().unwrap_or_default(),
            lanes: vec!["Samtykke 1".into(), "Utleveringer".into()],
            bars: Vec::new(),
            events: vec![
                event(1, 1, Kind::Granted, 0),
                event(2, 1, Kind::Disclosed, 1),
                event(3, 1, Kind::Disclosed, 1),
                event(4, 1, Kind::Disclosed, 1),
                // Same day, other kind in the same lane: its own mark.
                event(5, 1, Kind::Ended, 0),
                event(6, 20, Kind::Disclosed, 1),
            ],
            title: String::new(),
            start_label: String::new(),
            end_label: String::new(),
        };
        merge_marks(&mut timeline);
        let tags: Vec<Option<&str>> = timeline.events.iter().map(|e| e.tag.as_deref()).collect();
        assert_eq!(
            tags,
            [Some("1"), Some("2–4"), None, None, Some("5"), Some("6")]
        );
        assert_eq!(tag(&[3, 4]), "3, 4");
        assert_eq!(tag(&[3, 5, 8]), "3, 5, 8");
    }
}
