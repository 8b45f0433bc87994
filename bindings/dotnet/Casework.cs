// The catalogue a ledger is under, identity succession (DUF number -> D-number ->
// fodselsnummer) and the notification worklist of GDPR Art. 18(3) and 19: the entry points
// and the Ledger methods over them, in the pattern Native.cs describes.
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

namespace Consent
{
    internal static partial class Native
    {
        [DllImport(Library)] internal static extern ResultCode consent_ledger_adopt_catalogue(
            LedgerHandle ledger, byte[] catalogueToml, byte[] actorJson, out IntPtr eventId);
        [DllImport(Library)] internal static extern ResultCode consent_ledger_record_identity_succession(
            LedgerHandle ledger, byte[] fromSubject, byte[] toSubject, byte[] reference,
            [MarshalAs(UnmanagedType.I1)] bool merge, byte[] actorJson, out IntPtr eventId);
        [DllImport(Library)] internal static extern ResultCode consent_ledger_notifications_due(
            LedgerHandle ledger, long atUnixMs, out IntPtr json);
        [DllImport(Library)] internal static extern ResultCode consent_ledger_record_notification(
            LedgerHandle ledger, byte[] eventId, byte[] recipient, long atUnixMs, byte[] actorJson,
            out IntPtr recordId);
    }

    public sealed partial class Ledger
    {
        /// <summary>Adopts the catalogue whose TOML text is <paramref name="catalogueToml"/>
        /// (at most 1 MiB): from now on (the ledger's clock) decisions are made under it, and the
        /// ledger records its adoption, with the whole text and its SHA-256, as a
        /// <c>catalogue_adopted</c> event by <paramref name="actor"/>. Decisions about earlier
        /// instants keep the rules in force then. A ledger opened with a catalogue other than the
        /// one in force throws <see cref="ConflictException"/>: open it without
        /// <see cref="LedgerOptions.CatalogueFile"/> and adopt the new one with this call.
        /// Returns the adoption event's id.</summary>
        /// <exception cref="InvalidCatalogueException">The text does not validate.</exception>
        /// <exception cref="InvalidInputException">It moves or drops a code of the catalogue
        /// in force (add codes at the end), or a malformed actor.</exception>
        /// <exception cref="ConflictException">It is the catalogue in force.</exception>
        public Guid AdoptCatalogue(string catalogueToml, Actor actor)
        {
            IntPtr id;
            Native.Check(Native.consent_ledger_adopt_catalogue(handle,
                Utf8.ToNative(catalogueToml, "catalogue_toml"), Actor.ToNative(actor), out id));
            return Ids.Parse(Utf8.Take(id));
        }

        /// <summary>Records that the person known under <paramref name="fromSubject"/> (a DUF
        /// number of 12 digits, a D-number) is now known under <paramref name="toSubject"/> (a
        /// D-number, a fodselsnummer): their grants, refusals, restrictions and history follow
        /// them, so decisions under the new id see the old grants and the export under either
        /// id shows one history. <paramref name="reference"/> names the case or register entry
        /// that documents the change (never a national id; it is stored sealed). A succession
        /// goes forward only (a DUF number, then a D-number, then a fodselsnummer; one kind to
        /// the same kind is allowed). With <paramref name="merge"/> false a new id that already
        /// holds records is refused, since joining two histories cannot be undone; pass true
        /// only once both ids are known to be one person, and the event records the merge.
        /// Returns the event's id.</summary>
        /// <exception cref="InvalidNationalIdException">An id that does not validate.</exception>
        /// <exception cref="InvalidInputException">Both ids are the same person's, a step
        /// backwards (a fodselsnummer to a D-number or a DUF number, a D-number to a DUF
        /// number), or an empty, too long or id-bearing reference.</exception>
        /// <exception cref="NotPermittedException">The actor's role is not in the catalogue's
        /// <c>succession_roles</c>.</exception>
        /// <exception cref="NotFoundException">The ledger holds nothing under
        /// <paramref name="fromSubject"/>.</exception>
        /// <exception cref="ConflictException">It was already succeeded, the new id was itself
        /// succeeded, the earlier id's records were erased, or the new id holds records and
        /// <paramref name="merge"/> is false.</exception>
        public Guid RecordIdentitySuccession(string fromSubject, string toSubject, string reference, Actor actor,
            bool merge = false)
        {
            IntPtr id;
            Native.Check(Native.consent_ledger_record_identity_succession(handle,
                Utf8.ToNative(fromSubject, "from_subject"), Utf8.ToNative(toSubject, "to_subject"),
                Utf8.ToNative(reference, "reference"), merge, Actor.ToNative(actor), out id));
            return Ids.Parse(Utf8.Take(id));
        }

        /// <summary>The notification worklist at <paramref name="at"/>: the tasks of changes
        /// recorded up to then that are not yet marked done with
        /// <see cref="RecordNotification"/>, in the order the changes were recorded.</summary>
        /// <exception cref="InvalidInputException">An instant out of range.</exception>
        public IReadOnlyList<Notification> NotificationsDue(DateTimeOffset at)
        {
            IntPtr json;
            Native.Check(Native.consent_ledger_notifications_due(handle, Time.UnixMs(at), out json));
            var items = new List<Notification>();
            List<object> list = Json.Parse(Utf8.Take(json)) as List<object>;
            if (list == null)
            {
                throw new InvalidOperationException("the library's notification worklist is not a list");
            }
            foreach (object item in list)
            {
                items.Add(new Notification(new JsonObject(item, "notification")));
            }
            return items.AsReadOnly();
        }

        /// <summary>Marks a task of the notification worklist done: the person
        /// (<paramref name="recipient"/> null) or the recipient with that code was told at
        /// <paramref name="at"/> of the change recorded by the event <paramref name="eventId"/>.
        /// Returns the record's id.</summary>
        /// <exception cref="UnknownCodeException">A recipient the catalogue does not declare.</exception>
        /// <exception cref="NotFoundException">No such task is open (or it is already done).</exception>
        public Guid RecordNotification(Guid eventId, string recipient, DateTimeOffset at, Actor actor)
        {
            IntPtr id;
            Native.Check(Native.consent_ledger_record_notification(handle, Ids.ToNative(eventId, "event_id"),
                Utf8.ToNative(recipient, "recipient"), Time.UnixMs(at), Actor.ToNative(actor), out id));
            return Ids.Parse(Utf8.Take(id));
        }
    }

    /// <summary>One task of the notification worklist, from <see cref="Ledger.NotificationsDue"/>.</summary>
    public sealed class Notification
    {
        internal Notification(JsonObject json)
        {
            EventId = json.Guid("event_id");
            Subject = json.String("subject");
            Reason = json.String("reason");
            Recipient = json.OptionalString("recipient");
            DueAt = json.Instant("due_at");
            Before = json.Has("before") ? json.Instant("before") : (DateTimeOffset?)null;
        }

        /// <summary>The event that recorded the change (name it in
        /// <see cref="Ledger.RecordNotification"/>).</summary>
        public Guid EventId { get; }

        /// <summary>The subject's pseudonym (never the national id): compare it with
        /// <see cref="Ledger.Pseudonym"/> of your clients.</summary>
        public string Subject { get; }

        /// <summary><c>restriction_lifted</c> (tell the person, Art. 18(3)), or
        /// <c>rectification</c>, <c>restriction</c> or <c>erasure</c> (tell each recipient,
        /// Art. 19).</summary>
        public string Reason { get; }

        /// <summary>The recipient code to tell, or null: tell the person.</summary>
        public string Recipient { get; }

        /// <summary>Since when the task is due (when the change was recorded).</summary>
        public DateTimeOffset DueAt { get; }

        /// <summary>The deadline the law sets, or null (as soon as possible, Art. 19): a lift
        /// takes effect at this instant, and the person must be told before (Art. 18(3)).</summary>
        public DateTimeOffset? Before { get; }
    }
}
