using System;
using System.Collections.Generic;

namespace Consent
{
    /// <summary>What <see cref="Ledger.Verify()"/> (or <see cref="Ledger.Verify(Actor)"/>) found walking the hash chain.</summary>
    public sealed class VerifyReport
    {
        internal VerifyReport(JsonObject json)
        {
            Ok = json.Bool("ok");
            Events = json.Long("events");
            HeadHash = json.String("head_hash");
            FirstBadSeq = json.OptionalLong("first_bad_seq");
            Problem = json.OptionalString("problem");
        }

        /// <summary>Whether every event verified.</summary>
        public bool Ok { get; }

        /// <summary>How many events were checked.</summary>
        public long Events { get; }

        /// <summary>The hash at the head of the chain (hex).</summary>
        public string HeadHash { get; }

        /// <summary>The first event that did not verify, or null.</summary>
        public long? FirstBadSeq { get; }

        /// <summary>What was wrong with it, or null.</summary>
        public string Problem { get; }
    }

    /// <summary>A registered access request (GDPR Art. 15), due one month after receipt.</summary>
    public sealed class AccessRequest
    {
        internal AccessRequest(JsonObject json)
        {
            Id = json.Guid("id");
            ReceivedAt = json.Instant("received_at");
            DueAt = json.Instant("due_at");
        }

        /// <summary>The request's record id.</summary>
        public Guid Id { get; }

        /// <summary>When it was received.</summary>
        public DateTimeOffset ReceivedAt { get; }

        /// <summary>When it must be answered (GDPR Art. 12(3)).</summary>
        public DateTimeOffset DueAt { get; }
    }

    /// <summary>The outcome of an erasure request (GDPR Art. 17), restricted until kassasjon, or
    /// of a kassasjon (<see cref="Ledger.ExecuteKassasjon"/>), erased.</summary>
    public sealed class ErasureOutcome
    {
        internal ErasureOutcome(JsonObject json)
        {
            Outcome = json.String("outcome");
            At = json.Instant("at");
            var none = new List<string>().AsReadOnly();
            if (Outcome == "restricted")
            {
                Rules = json.Strings("rules");
                Statutes = json.Strings("statutes");
                var withdrawn = new List<Guid>();
                foreach (string id in json.Strings("withdrawn"))
                {
                    withdrawn.Add(Ids.Parse(id));
                }
                Withdrawn = withdrawn.AsReadOnly();
                KassasjonDueAt = json.Has("kassasjon_due_at") ? json.Instant("kassasjon_due_at") : (DateTimeOffset?)null;
            }
            else if (Outcome == "erased")
            {
                Rules = none;
                Statutes = none;
                Withdrawn = new List<Guid>().AsReadOnly();
                EventsErased = json.Long("events_erased");
            }
            else
            {
                throw new InvalidOperationException("the library's erasure outcome is unknown: `" + Outcome + "`");
            }
        }

        /// <summary><c>restricted</c> (an erasure request) or <c>erased</c> (a kassasjon).</summary>
        public string Outcome { get; }

        /// <summary>Whether the subject's personal payloads were made unrecoverable.</summary>
        public bool Erased
        {
            get { return Outcome == "erased"; }
        }

        /// <summary>When it took effect.</summary>
        public DateTimeOffset At { get; }

        /// <summary>For a restriction: the rules with an archival or legal duty under which the
        /// data was disclosed.</summary>
        public IReadOnlyList<string> Rules { get; }

        /// <summary>For a restriction: the statutes behind those rules.</summary>
        public IReadOnlyList<string> Statutes { get; }

        /// <summary>For a restriction: the grants withdrawn (reason <c>erasure_request</c>).</summary>
        public IReadOnlyList<Guid> Withdrawn { get; }

        /// <summary>For a restriction: when kassasjon is due, from the catalogue's per-purpose
        /// <c>retention_years</c>; null while a purpose's retention is permanent or not stated
        /// (and for a kassasjon).</summary>
        public DateTimeOffset? KassasjonDueAt { get; }

        /// <summary>For a kassasjon: how many events' payloads were made unrecoverable.</summary>
        public long EventsErased { get; }
    }

    /// <summary>A subject whose kassasjon is due, from <see cref="Ledger.ErasureDue"/>.</summary>
    public sealed class KassasjonDue
    {
        internal KassasjonDue(JsonObject json)
        {
            Subject = json.String("subject");
            DueAt = json.Instant("due_at");
        }

        /// <summary>The subject's pseudonym (see <see cref="Ledger.Pseudonym"/>).</summary>
        public string Subject { get; }

        /// <summary>When the retention ended.</summary>
        public DateTimeOffset DueAt { get; }
    }

    /// <summary>A ground of GDPR Art. 18(1) for <see cref="Ledger.Restrict"/>.</summary>
    public enum RestrictionGround
    {
        /// <summary><c>A18_1_a</c>: the person contests the accuracy of the data, while it is
        /// verified.</summary>
        Accuracy = 1,
        /// <summary><c>A18_1_b</c>: the processing is unlawful and the person opposes erasure.</summary>
        Unlawful = 2,
        /// <summary><c>A18_1_c</c>: the controller no longer needs the data, but the person needs it
        /// for legal claims.</summary>
        LegalClaims = 3,
        /// <summary><c>A18_1_d</c>: the person objected (Art. 21(1)), pending the verification of
        /// the grounds.</summary>
        ObjectionPending = 4,
    }

    /// <summary>How an objection is resolved, for <see cref="Ledger.ResolveObjection"/>.</summary>
    public enum ObjectionOutcome
    {
        /// <summary><c>upheld</c>: no compelling legitimate grounds were shown; the processing
        /// for the purpose stays stopped.</summary>
        Upheld = 1,
        /// <summary><c>rejected</c>: compelling grounds were shown; the processing resumes.</summary>
        Rejected = 2,
    }

    /// <summary>Restriction grounds as the library's codes.</summary>
    internal static class RestrictionGrounds
    {
        internal static string Code(RestrictionGround ground)
        {
            switch (ground)
            {
                case RestrictionGround.Accuracy: return "A18_1_a";
                case RestrictionGround.Unlawful: return "A18_1_b";
                case RestrictionGround.LegalClaims: return "A18_1_c";
                case RestrictionGround.ObjectionPending: return "A18_1_d";
                default: throw new InvalidInputException("`ground` " + (int)ground + " is not a ground of Art. 18(1)");
            }
        }
    }

    /// <summary>Objection outcomes as the library's codes.</summary>
    internal static class ObjectionOutcomes
    {
        internal static string Code(ObjectionOutcome outcome)
        {
            switch (outcome)
            {
                case ObjectionOutcome.Upheld: return "upheld";
                case ObjectionOutcome.Rejected: return "rejected";
                default: throw new InvalidInputException("`outcome` " + (int)outcome + " is neither upheld nor rejected");
            }
        }
    }

    /// <summary>Aggregate counts with small cells suppressed (null), by whole periods of the
    /// catalogue's <c>statistics_period</c>, from <see cref="Ledger.Statistics"/>. Where a
    /// period's total stands beside suppressed cells, enough other cells (or the total) are
    /// suppressed too that no suppressed count can be derived from it.</summary>
    public sealed class Statistics
    {
        internal Statistics(JsonObject json)
        {
            MinCell = json.Long("min_cell");
            Period = json.String("period");
            Periods = json.Strings("periods");
            var rows = new List<StatisticsRow>();
            foreach (JsonObject row in json.Objects("rows"))
            {
                rows.Add(new StatisticsRow(row));
            }
            Rows = rows.AsReadOnly();
            var totals = new List<StatisticsTotal>();
            foreach (JsonObject total in json.Objects("totals"))
            {
                totals.Add(new StatisticsTotal(total));
            }
            Totals = totals.AsReadOnly();
            var active = new List<ActiveGrantCount>();
            foreach (JsonObject count in json.Objects("active_grants"))
            {
                active.Add(new ActiveGrantCount(count));
            }
            ActiveGrants = active.AsReadOnly();
        }

        /// <summary>The threshold: counts from 1 to <c>MinCell - 1</c> are null.</summary>
        public long MinCell { get; }

        /// <summary>What a period is: <c>month</c>, <c>quarter</c> or <c>year</c> (Norwegian
        /// local time).</summary>
        public string Period { get; }

        /// <summary>The periods counted, in order, for example <c>2026-Q1</c>, <c>2026-Q2</c>.</summary>
        public IReadOnlyList<string> Periods { get; }

        /// <summary>Events by period, purpose and recipient.</summary>
        public IReadOnlyList<StatisticsRow> Rows { get; }

        /// <summary>The sums of each period's rows.</summary>
        public IReadOnlyList<StatisticsTotal> Totals { get; }

        /// <summary>Active grants at the end of each period (or now, for the period under way),
        /// by purpose and recipient.</summary>
        public IReadOnlyList<ActiveGrantCount> ActiveGrants { get; }
    }

    /// <summary>Events of one period, purpose and recipient; a null count is suppressed.</summary>
    public sealed class StatisticsRow
    {
        internal StatisticsRow(JsonObject json)
        {
            Period = json.String("period");
            Purpose = json.String("purpose");
            Recipient = json.String("recipient");
            Grants = json.OptionalLong("grants");
            Withdrawals = json.OptionalLong("withdrawals");
            Refusals = json.OptionalLong("refusals");
            Disclosures = json.OptionalLong("disclosures");
        }

        /// <summary>The period the events were recorded in: <c>2026-03</c>, <c>2026-Q1</c> or
        /// <c>2026</c>.</summary>
        public string Period { get; }

        /// <summary>The purpose code.</summary>
        public string Purpose { get; }

        /// <summary>The recipient code.</summary>
        public string Recipient { get; }

        /// <summary>Grants recorded, or null when suppressed.</summary>
        public long? Grants { get; }

        /// <summary>Withdrawals recorded, or null when suppressed.</summary>
        public long? Withdrawals { get; }

        /// <summary>Refusals recorded, or null when suppressed.</summary>
        public long? Refusals { get; }

        /// <summary>Disclosures recorded, or null when suppressed.</summary>
        public long? Disclosures { get; }
    }

    /// <summary>The sums of one period's rows; a null total is suppressed.</summary>
    public sealed class StatisticsTotal
    {
        internal StatisticsTotal(JsonObject json)
        {
            Period = json.String("period");
            Grants = json.OptionalLong("grants");
            Withdrawals = json.OptionalLong("withdrawals");
            Refusals = json.OptionalLong("refusals");
            Disclosures = json.OptionalLong("disclosures");
        }

        /// <summary>The period.</summary>
        public string Period { get; }

        /// <summary>Grants recorded, or null when suppressed.</summary>
        public long? Grants { get; }

        /// <summary>Withdrawals recorded, or null when suppressed.</summary>
        public long? Withdrawals { get; }

        /// <summary>Refusals recorded, or null when suppressed.</summary>
        public long? Refusals { get; }

        /// <summary>Disclosures recorded, or null when suppressed.</summary>
        public long? Disclosures { get; }
    }

    /// <summary>Active grants of one purpose and recipient at the end of one period; a null
    /// count is suppressed.</summary>
    public sealed class ActiveGrantCount
    {
        internal ActiveGrantCount(JsonObject json)
        {
            Period = json.String("period");
            At = json.Instant("at");
            Purpose = json.String("purpose");
            Recipient = json.String("recipient");
            Count = json.OptionalLong("count");
        }

        /// <summary>The period.</summary>
        public string Period { get; }

        /// <summary>The instant they are counted at: the period's end, or now for the period
        /// under way.</summary>
        public DateTimeOffset At { get; }

        /// <summary>The purpose code.</summary>
        public string Purpose { get; }

        /// <summary>The recipient code.</summary>
        public string Recipient { get; }

        /// <summary>How many, or null when suppressed.</summary>
        public long? Count { get; }
    }

    /// <summary>A grant that stops covering disclosures soon, from <see cref="Ledger.ReconsentDue"/>.</summary>
    public sealed class ReconsentItem
    {
        internal ReconsentItem(JsonObject json)
        {
            GrantId = json.Guid("grant_id");
            Subject = json.String("subject");
            Reason = json.String("reason");
            DueAt = json.Instant("due_at");
            Purposes = json.Strings("purposes");
            Recipients = json.Strings("recipients");
            Categories = json.Strings("categories");
        }

        /// <summary>The grant.</summary>
        public Guid GrantId { get; }

        /// <summary>The subject's pseudonym (never the national id): compare it with
        /// <see cref="Ledger.Pseudonym"/> of your clients.</summary>
        public string Subject { get; }

        /// <summary><c>comes_of_age</c>, <c>expires</c> or <c>notice_superseded</c>.</summary>
        public string Reason { get; }

        /// <summary>When the grant stops covering disclosures.</summary>
        public DateTimeOffset DueAt { get; }

        /// <summary>The grant's purposes.</summary>
        public IReadOnlyList<string> Purposes { get; }

        /// <summary>The grant's recipients.</summary>
        public IReadOnlyList<string> Recipients { get; }

        /// <summary>The grant's categories.</summary>
        public IReadOnlyList<string> Categories { get; }
    }
}
