//! The projection as bytes, for a ledger's snapshot (`ledger/snapshot.rs`): every part (a part
//! added to `Projection` must be added here too, and the layout's version in
//! `ledger/snapshot.rs` raised), in a fixed little-endian layout. Of the subjects' data keys
//! it holds only which subjects have one and the first event it seals: the keys stay wrapped
//! in the store and are unwrapped when a call first needs one. Decoding never trusts a length:
//! a short or malformed input is `None`, and the ledger then replays the log instead.

use rustc_hash::FxHashMap;

use super::effect::Remembered;
use super::{KeyEntry, KeyMap, Projection, SubjectState};
use crate::id::pseudonym::Pseudonym;
use crate::model::GrantId;
use crate::policy::grant_state::GrantState;
use crate::policy::restriction::{Flags, ObjectionSpan, RestrictionSpan};

/// Appends to a byte buffer.
pub(crate) struct Writer<'a>(pub &'a mut Vec<u8>);

impl Writer<'_> {
    pub fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    pub fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub fn i64(&mut self, v: i64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub fn bytes(&mut self, v: &[u8]) {
        self.0.extend_from_slice(v);
    }
    pub fn len(&mut self, n: usize) {
        self.u64(n as u64);
    }
    fn bool(&mut self, v: bool) {
        self.u8(u8::from(v));
    }
}

/// Reads from a byte slice; every read is `None` past the end.
pub(crate) struct Reader<'a>(pub &'a [u8]);

impl Reader<'_> {
    pub fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*head)
    }
    pub fn u8(&mut self) -> Option<u8> {
        self.take::<1>().map(|[b]| b)
    }
    pub fn u64(&mut self) -> Option<u64> {
        self.take::<8>().map(u64::from_le_bytes)
    }
    pub fn i64(&mut self) -> Option<i64> {
        self.take::<8>().map(i64::from_le_bytes)
    }
    /// A count of items each at least `min` bytes long: never more than the input could hold.
    pub fn len(&mut self, min: usize) -> Option<usize> {
        let n = usize::try_from(self.u64()?).ok()?;
        (n.checked_mul(min.max(1))? <= self.0.len()).then_some(n)
    }
    fn bool(&mut self) -> Option<bool> {
        match self.u8()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
    fn pseudonym(&mut self) -> Option<Pseudonym> {
        self.take::<16>().map(Pseudonym)
    }
    fn uuid(&mut self) -> Option<uuid::Uuid> {
        self.take::<16>().map(uuid::Uuid::from_bytes)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The encoded size of a grant version.
const GRANT_BYTES: usize = 16 + 3 * 8 + 9 * 8 + 2;

fn put_grant(w: &mut Writer<'_>, g: &GrantState) {
    w.bytes(g.id.0.as_bytes());
    w.u64(g.purposes);
    w.u64(g.recipients);
    w.u64(g.categories);
    for v in [
        g.valid_from,
        g.valid_until,
        g.withdrawn_at,
        g.lapses_at,
        g.special_lapses_at,
        g.authority_until,
        g.effective_from,
        g.superseded_at,
    ] {
        w.i64(v);
    }
    // Reserved: keeps the layout of a version at a round size for later fields.
    w.i64(0);
    w.bool(g.explicit);
    w.bool(g.notice_superseded);
}

fn get_grant(r: &mut Reader<'_>) -> Option<GrantState> {
    let id = GrantId(r.uuid()?);
    let (purposes, recipients, categories) = (r.u64()?, r.u64()?, r.u64()?);
    let mut t = [0i64; 8];
    for v in &mut t {
        *v = r.i64()?;
    }
    if r.i64()? != 0 {
        return None;
    }
    let [
        valid_from,
        valid_until,
        withdrawn_at,
        lapses_at,
        special_lapses_at,
        authority_until,
        effective_from,
        superseded_at,
    ] = t;
    Some(GrantState {
        id,
        purposes,
        recipients,
        categories,
        valid_from,
        valid_until,
        withdrawn_at,
        lapses_at,
        special_lapses_at,
        authority_until,
        effective_from,
        superseded_at,
        explicit: r.bool()?,
        notice_superseded: r.bool()?,
    })
}

/// Appends a section: its length in bytes, then what `write` puts, so a reader can hand each
/// section to a thread of its own.
fn section(out: &mut Vec<u8>, write: impl FnOnce(&mut Writer<'_>)) {
    let at = out.len();
    out.extend_from_slice(&[0; 8]);
    write(&mut Writer(out));
    let length = (out.len() - at - 8) as u64;
    if let Some(place) = out.get_mut(at..at + 8) {
        place.copy_from_slice(&length.to_le_bytes());
    }
}

impl<'a> Reader<'a> {
    /// The next section (see [`section`]) as a reader of its own.
    fn section(&mut self) -> Option<Reader<'a>> {
        let length = usize::try_from(self.u64()?).ok()?;
        let (head, rest) = self.0.split_at_checked(length)?;
        self.0 = rest;
        Some(Reader(head))
    }
}

impl Projection {
    /// Appends the projection to `out`, in four sections: the subjects, the grant index, the
    /// restrictions and the rest, and which subjects hold a data key. Each is decoded on a
    /// thread of its own.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        // Every field named: a field added to `Projection` stops this compiling until it is
        // written here (and read in `decode`), so no snapshot silently drops state.
        let Projection {
            subjects,
            keys,
            grants,
            flags,
            objections,
            aliases,
            erased,
            idempotent,
            keys_of,
        } = self;
        section(out, |w| {
            w.len(subjects.len());
            for (subject, state) in subjects.iter() {
                w.bytes(&subject.0);
                w.bool(state.flagged);
                let grants = state.grants.as_slice();
                w.len(grants.len());
                for grant in grants {
                    put_grant(w, grant);
                }
            }
        });
        section(out, |w| {
            w.len(grants.len());
            for (grant, subject) in grants {
                w.bytes(grant.0.as_bytes());
                w.bytes(&subject.0);
            }
        });
        section(out, |w| {
            w.len(flags.len());
            for (subject, flags) in flags {
                w.bytes(&subject.0);
                w.len(flags.restrictions.len());
                for span in &flags.restrictions {
                    w.i64(span.from);
                    w.i64(span.until);
                    w.bool(span.legacy);
                    w.bool(span.erasure);
                }
                w.len(flags.objections.len());
                for span in &flags.objections {
                    w.bytes(span.id.as_bytes());
                    w.u8(span.purpose);
                    w.i64(span.from);
                    w.i64(span.until);
                    w.bool(span.resolved);
                }
            }
            w.len(objections.len());
            for (id, subject) in objections {
                w.bytes(id.as_bytes());
                w.bytes(&subject.0);
            }
            w.len(aliases.len());
            for (from, to) in aliases {
                w.bytes(&from.0);
                w.bytes(&to.0);
            }
            w.len(erased.len());
            for subject in erased {
                w.bytes(&subject.0);
            }
            w.len(idempotent.len());
            for (digest, remembered) in idempotent {
                w.bytes(digest);
                w.bytes(&remembered.content);
                w.u64(remembered.seq);
                match remembered.grant {
                    Some(grant) => {
                        w.u8(1);
                        w.bytes(grant.0.as_bytes());
                    }
                    None => w.u8(0),
                }
                w.bytes(&remembered.subject.0);
            }
            w.len(keys_of.len());
            for (subject, digests) in keys_of {
                w.bytes(&subject.0);
                w.len(digests.len());
                for digest in digests {
                    w.bytes(digest);
                }
            }
        });
        section(out, |w| {
            w.len(keys.len());
            for (subject, entry) in keys {
                w.bytes(&subject.0);
                w.u64(entry.since);
            }
        });
    }

    /// Reads what [`Projection::encode`] wrote; `None` for anything else (or when no thread
    /// can be started to read it).
    pub(crate) fn decode(r: &mut Reader<'_>) -> Option<Projection> {
        let mut subjects = r.section()?;
        let grants = r.section()?;
        let mut rest = r.section()?;
        let keys = r.section()?;
        std::thread::scope(|scope| {
            let spawn = |name: &str| std::thread::Builder::new().name(name.to_owned());
            let grants = spawn("consent-snapshot-grants")
                .spawn_scoped(scope, move || decode_grants(grants))
                .ok()?;
            let keys = spawn("consent-snapshot-keys")
                .spawn_scoped(scope, move || decode_keys(keys))
                .ok()?;
            let mut projection = Projection::default();
            let read = decode_subjects(&mut projection, &mut subjects)
                .and_then(|()| decode_rest(&mut projection, &mut rest));
            let grants = grants.join().ok().flatten();
            let keys = keys.join().ok().flatten();
            read?;
            projection.grants = grants?;
            projection.keys = keys?;
            Some(projection)
        })
    }
}

fn decode_subjects(projection: &mut Projection, r: &mut Reader<'_>) -> Option<()> {
    let subjects = r.len(16 + 1 + 8)?;
    // Room for as many subjects as the bytes could hold with one grant each (a subject in
    // memory is larger than its bytes: a count read from bytes not yet verified must not
    // reserve more than a genuine snapshot of their size would need).
    projection
        .subjects
        .reserve(subjects.min(r.0.len() / (16 + 1 + 8 + GRANT_BYTES)));
    for _ in 0..subjects {
        let subject = r.pseudonym()?;
        let flagged = r.bool()?;
        let mut state = SubjectState {
            flagged,
            ..SubjectState::default()
        };
        for _ in 0..r.len(GRANT_BYTES)? {
            state.grants.push(get_grant(r)?);
        }
        if !projection.subjects.insert_new(subject, state) {
            return None;
        }
    }
    r.is_empty().then_some(())
}

fn decode_grants(mut r: Reader<'_>) -> Option<FxHashMap<GrantId, Pseudonym>> {
    let count = r.len(32)?;
    let mut grants = FxHashMap::default();
    grants.reserve(count);
    for _ in 0..count {
        let grant = GrantId(r.uuid()?);
        if grants.insert(grant, r.pseudonym()?).is_some() {
            return None;
        }
    }
    r.is_empty().then_some(grants)
}

fn decode_keys(mut r: Reader<'_>) -> Option<KeyMap> {
    let count = r.len(16 + 8)?;
    let mut keys = KeyMap::default();
    keys.reserve(count);
    for _ in 0..count {
        let subject = r.pseudonym()?;
        let since = r.u64()?;
        let entry = KeyEntry {
            since,
            key: std::sync::OnceLock::new(),
        };
        if keys.insert(subject, entry).is_some() {
            return None;
        }
    }
    r.is_empty().then_some(keys)
}

/// The restrictions and objections, aliases, erasures and idempotency keys.
fn decode_rest(projection: &mut Projection, r: &mut Reader<'_>) -> Option<()> {
    for _ in 0..r.len(16 + 16)? {
        let subject = r.pseudonym()?;
        let mut flags = Flags::default();
        for _ in 0..r.len(18)? {
            flags.restrictions.push(RestrictionSpan {
                from: r.i64()?,
                until: r.i64()?,
                legacy: r.bool()?,
                erasure: r.bool()?,
            });
        }
        for _ in 0..r.len(34)? {
            flags.objections.push(ObjectionSpan {
                id: r.uuid()?,
                purpose: r.u8()?,
                from: r.i64()?,
                until: r.i64()?,
                resolved: r.bool()?,
            });
        }
        projection.flags.insert(subject, flags);
    }
    for _ in 0..r.len(32)? {
        let id = r.uuid()?;
        projection.objections.insert(id, r.pseudonym()?);
    }
    for _ in 0..r.len(32)? {
        let from = r.pseudonym()?;
        projection.aliases.insert(from, r.pseudonym()?);
    }
    for _ in 0..r.len(16)? {
        projection.erased.insert(r.pseudonym()?);
    }
    let remembered = r.len(32 + 32 + 8 + 1 + 16)?;
    projection.idempotent.reserve(remembered);
    for _ in 0..remembered {
        let digest = r.take::<32>()?;
        let content = r.take::<32>()?;
        let seq = r.u64()?;
        let grant = match r.u8()? {
            0 => None,
            1 => Some(GrantId(r.uuid()?)),
            _ => return None,
        };
        let subject = r.pseudonym()?;
        projection.idempotent.insert(
            digest,
            Remembered {
                content,
                seq,
                grant,
                subject,
            },
        );
    }
    for _ in 0..r.len(16 + 8)? {
        let subject = r.pseudonym()?;
        let mut digests = Vec::new();
        for _ in 0..r.len(32)? {
            digests.push(r.take::<32>()?);
        }
        projection.keys_of.insert(subject, digests);
    }
    r.is_empty().then_some(())
}
