using System;
using System.Collections.Generic;

namespace Consent
{
    /// <summary>The answer to a disclosure request: may it, on what basis, and if not, why not.
    ///
    /// A decision never changes and may be read from several threads; it stays valid after its
    /// ledger is disposed. Dispose it when done (a finalizer releases it otherwise).</summary>
    public sealed class Decision : IDisposable
    {
        private readonly DecisionHandle handle;
        private JsonObject parsed;

        internal Decision(DecisionHandle handle)
        {
            this.handle = handle;
        }

        /// <summary>Whether the disclosure is permitted: every requested category has a basis.
        /// Act on this, never on the decision's existence: a denial is a decision too.</summary>
        public bool Permitted
        {
            get { return Native.consent_decision_permitted(handle) != 0; }
        }

        /// <summary>The ledger position the decision was made at: the sequence number of the
        /// last event it saw. A decision made after another process acknowledged a write has an
        /// <c>AsOfSeq</c> at least that write's.</summary>
        public ulong AsOfSeq
        {
            get { return Native.consent_decision_as_of_seq(handle); }
        }

        /// <summary>The decision as the library's JSON document (schema version 1): the instant,
        /// recipient, purpose, and per category the basis or the reason for denial. It
        /// contains no national id.</summary>
        public string ToJson()
        {
            IntPtr json;
            Native.Check(Native.consent_decision_to_json(handle, out json));
            return Utf8.Take(json);
        }

        private JsonObject Parsed
        {
            get
            {
                if (parsed == null)
                {
                    parsed = JsonObject.Parse(ToJson(), "decision");
                }
                return parsed;
            }
        }

        /// <summary>The instant the decision is for.</summary>
        public DateTimeOffset At
        {
            get { return Parsed.Instant("at"); }
        }

        /// <summary>The recipient code.</summary>
        public string Recipient
        {
            get { return Parsed.String("recipient"); }
        }

        /// <summary>The purpose code.</summary>
        public string Purpose
        {
            get { return Parsed.String("purpose"); }
        }

        /// <summary>One outcome per requested category, in request order.</summary>
        public IReadOnlyList<CategoryOutcome> Bases
        {
            get
            {
                var outcomes = new List<CategoryOutcome>();
                foreach (JsonObject item in Parsed.Objects("categories"))
                {
                    outcomes.Add(new CategoryOutcome(item));
                }
                return outcomes.AsReadOnly();
            }
        }

        /// <summary>The reason the first denied category was denied, or null when permitted.</summary>
        public DenialReason? Denial
        {
            get
            {
                CategoryOutcome denied = FirstDenied();
                return denied == null ? null : denied.Reason;
            }
        }

        /// <summary>The snake_case name of <see cref="Denial"/> as the library writes it
        /// (<c>no_basis</c>, <c>condition_not_asserted</c>, ...), also for a reason added to the
        /// library after this assembly was built; null when permitted.</summary>
        public string DenialName
        {
            get
            {
                CategoryOutcome denied = FirstDenied();
                return denied == null ? null : denied.ReasonName;
            }
        }

        private CategoryOutcome FirstDenied()
        {
            foreach (CategoryOutcome outcome in Bases)
            {
                if (!outcome.Permitted)
                {
                    return outcome;
                }
            }
            return null;
        }

        /// <summary>Releases the native decision. Reading it afterwards throws
        /// <see cref="ObjectDisposedException"/>.</summary>
        public void Dispose()
        {
            handle.Dispose();
        }

        /// <summary>For example <c>Decision(permitted, nir for nir_registration)</c>.</summary>
        public override string ToString()
        {
            return "Decision(" + (Permitted ? "permitted" : "denied: " + DenialName) + ", " + Recipient
                + " for " + Purpose + " at " + Json.Instant(At) + ")";
        }
    }

    /// <summary>The outcome for one requested category of a <see cref="Decision"/>.</summary>
    public sealed class CategoryOutcome
    {
        internal CategoryOutcome(JsonObject json)
        {
            Category = json.String("category");
            Permitted = json.Bool("permitted");
            if (Permitted)
            {
                Basis = new Basis(json.Object("basis"));
            }
            else
            {
                ReasonName = json.String("reason");
                Reason = DenialReasons.Parse(ReasonName);
            }
        }

        /// <summary>The category code.</summary>
        public string Category { get; }

        /// <summary>Whether this category may be disclosed.</summary>
        public bool Permitted { get; }

        /// <summary>What permits it, when permitted; otherwise null.</summary>
        public Basis Basis { get; }

        /// <summary>Why it is denied, or null when permitted.</summary>
        public DenialReason? Reason { get; }

        /// <summary>The snake_case name of <see cref="Reason"/> as the library writes it
        /// (<c>no_basis</c>, <c>withdrawn</c>, ...), also for a reason added to the library after
        /// this assembly was built (<see cref="DenialReason.Unknown"/>); null when permitted.</summary>
        public string ReasonName { get; }
    }

    /// <summary>Why a category was denied. The library's codes are only ever appended.</summary>
    public enum DenialReason
    {
        /// <summary>A reason added to the library after this assembly was built: still a denial.
        /// <see cref="CategoryOutcome.ReasonName"/> has its code.</summary>
        Unknown = 0,
        /// <summary><c>no_basis</c>: no statutory rule and no grant covers the category.</summary>
        NoBasis = 1,
        /// <summary><c>withdrawn</c>: a grant covered it, but was withdrawn before the instant.</summary>
        Withdrawn = 2,
        /// <summary><c>expired</c>: a grant covered it, but its <c>valid_until</c> had passed.</summary>
        Expired = 3,
        /// <summary><c>not_explicit</c>: special-category data, and the covering grant was not
        /// explicit consent.</summary>
        NotExplicit = 4,
        /// <summary><c>reconsent_required</c>: a representative's grant covered it, but the
        /// subject has since come of age.</summary>
        ReconsentRequired = 5,
        /// <summary><c>restricted</c>: the subject's processing is restricted (GDPR Art. 18, or an
        /// erasure request the archival duty turned into a restriction) and the category rests on a
        /// statutory rule that does not continue under restriction.</summary>
        Restricted = 6,
        /// <summary><c>condition_not_asserted</c>: a statutory rule would cover the category, but
        /// it requires a condition (for example <c>serious_concern</c>) that the request did not
        /// assert (see <see cref="Assertion"/>).</summary>
        ConditionNotAsserted = 7,
        /// <summary><c>grantor_authority_ended</c>: a representative's grant covered it, but the
        /// representative's authority (<c>authority_valid_until</c>) had ended.</summary>
        GrantorAuthorityEnded = 8,
        /// <summary><c>objected</c>: the subject objected (GDPR Art. 21) to the purpose, whose
        /// basis here is Art. 6(1)(e), and the objection is not rejected.</summary>
        Objected = 9,
    }

    /// <summary>Denial reasons between the library's snake_case names and
    /// <see cref="DenialReason"/>.</summary>
    internal static class DenialReasons
    {
        internal static DenialReason Parse(string name)
        {
            switch (name)
            {
                case "no_basis": return DenialReason.NoBasis;
                case "withdrawn": return DenialReason.Withdrawn;
                case "expired": return DenialReason.Expired;
                case "not_explicit": return DenialReason.NotExplicit;
                case "reconsent_required": return DenialReason.ReconsentRequired;
                case "restricted": return DenialReason.Restricted;
                case "condition_not_asserted": return DenialReason.ConditionNotAsserted;
                case "grantor_authority_ended": return DenialReason.GrantorAuthorityEnded;
                case "objected": return DenialReason.Objected;
                default: return DenialReason.Unknown;
            }
        }
    }

    /// <summary>The lawful basis of a permitted category: a statutory rule or a consent grant,
    /// and the two gates every disclosure passes, reported apart.
    ///
    /// The GDPR gate: <see cref="Art6"/>, with the <see cref="Statute"/> that Art. 6(3) needs,
    /// and <see cref="Art9"/> for special-category data. The confidentiality gate:
    /// <see cref="ConfidentialityException"/>, with its <see cref="ConfidentialityStatute"/>.
    /// For a consent the catalogue decides what the consent does: in a municipality it usually
    /// lifts the duty of confidentiality (<c>fvl_13a_1</c>) while the processing rests on the
    /// purpose's statute (for example Art. 6(1)(e) with integreringsloven § 41); only where the
    /// purpose says consent is the basis is the GDPR gate Art. 6(1)(a).</summary>
    public sealed class Basis
    {
        internal Basis(JsonObject json)
        {
            Kind = json.String("kind");
            Statute = json.OptionalString("statute");
            Art6 = json.String("art6");
            Art9 = json.OptionalString("art9");
            ConfidentialityException = json.String("confidentiality_exception");
            ConfidentialityStatute = json.OptionalString("confidentiality_statute");
            if (Kind == "statute")
            {
                Rule = json.String("rule");
                Condition = json.Has("condition") ? json.String("condition") : null;
            }
            else if (Kind == "consent")
            {
                GrantId = json.Guid("grant_id");
                Explicit = json.Bool("explicit");
            }
        }

        /// <summary><c>statute</c> or <c>consent</c> (a kind added to the library later leaves
        /// the fields of both null, and still reports the gates).</summary>
        public string Kind { get; }

        /// <summary>The catalogue rule, for a statutory basis.</summary>
        public string Rule { get; }

        /// <summary>The asserted condition a conditional rule relied on (for example
        /// <c>serious_concern</c>), or null.</summary>
        public string Condition { get; }

        /// <summary>The grant, for a consent basis.</summary>
        public Guid? GrantId { get; }

        /// <summary>Whether the consent was explicit, for a consent basis.</summary>
        public bool? Explicit { get; }

        /// <summary>GDPR gate: the statute the processing rests on (GDPR Art. 6(3)), for example
        /// <c>integreringsloven § 43</c>, for a rule and for a consent that lifts confidentiality;
        /// null where consent itself is the basis.</summary>
        public string Statute { get; }

        /// <summary>GDPR gate: the Art. 6(1) basis, for example <c>A6_1_c</c>.</summary>
        public string Art6 { get; }

        /// <summary>GDPR gate: the Art. 9(2) condition for special-category data (for example
        /// <c>A9_2_a</c>, explicit consent), or null.</summary>
        public string Art9 { get; }

        /// <summary>Confidentiality gate: the exception from the duty of confidentiality that
        /// allows the disclosure, for example <c>fvl_13a_1</c> (consent) or
        /// <c>special_statute</c>.</summary>
        public string ConfidentialityException { get; }

        /// <summary>Confidentiality gate: the statute behind that exception, for example
        /// <c>forvaltningsloven § 13 a nr. 1</c>, or null where the catalogue names none.</summary>
        public string ConfidentialityStatute { get; }
    }
}
