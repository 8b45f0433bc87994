using System;
using System.Collections.Generic;

namespace Consent
{
    public sealed partial class Ledger
    {
        /// <summary>Prepares a request to ask about many people: <paramref name="recipient"/>,
        /// <paramref name="purpose"/>, <paramref name="categories"/> and
        /// <paramref name="assertions"/> (null or empty: none) are checked and interned once;
        /// <see cref="PreparedRequest.Decide"/> and <see cref="PreparedRequest.Permits"/> then
        /// pass only the subject and the instant, and give the decision
        /// <see cref="Decide(string, string, string, IReadOnlyList{string}, DateTimeOffset, IReadOnlyList{Assertion})"/>
        /// gives for the same arguments.</summary>
        /// <exception cref="UnknownCodeException">A code or condition the catalogue does not declare.</exception>
        /// <exception cref="InvalidInputException">No category, a repeated one, or a bad
        /// assertion.</exception>
        public PreparedRequest Prepare(string recipient, string purpose, IReadOnlyList<string> categories,
            IReadOnlyList<Assertion> assertions = null)
        {
            byte[] assertionsJson = assertions == null || assertions.Count == 0 ? null : Assertion.ToNative(assertions);
            using (var nativeCategories = new NativeStrings(categories, "categories"))
            {
                RequestHandle request;
                Native.Check(Native.consent_request_prepare_asserted(handle, Utf8.ToNative(recipient, "recipient"),
                    Utf8.ToNative(purpose, "purpose"), nativeCategories.Pointers, nativeCategories.Count,
                    assertionsJson, out request));
                return new PreparedRequest(request, recipient, purpose, categories);
            }
        }
    }

    /// <summary>A disclosure request without its subject and instant, from
    /// <see cref="Ledger.Prepare"/>.
    ///
    /// Thread-safe; it keeps its native ledger alive, so it stays usable after the
    /// <see cref="Ledger"/> it came from is disposed. Dispose it when done (a finalizer
    /// releases it otherwise); calls after that throw <see cref="ObjectDisposedException"/>.</summary>
    public sealed class PreparedRequest : IDisposable
    {
        private readonly RequestHandle handle;
        private readonly string[] categories;

        internal PreparedRequest(RequestHandle handle, string recipient, string purpose,
            IReadOnlyList<string> categories)
        {
            this.handle = handle;
            Recipient = recipient;
            Purpose = purpose;
            this.categories = new string[categories.Count];
            for (int i = 0; i < categories.Count; i++)
            {
                this.categories[i] = categories[i];
            }
        }

        /// <summary>The recipient code.</summary>
        public string Recipient { get; }

        /// <summary>The purpose code.</summary>
        public string Purpose { get; }

        /// <summary>The category codes, in the order given.</summary>
        public IReadOnlyList<string> Categories
        {
            get { return Array.AsReadOnly(categories); }
        }

        /// <summary>Decides the request for <paramref name="subject"/> at
        /// <paramref name="at"/>. A denial is a decision whose <see cref="Decision.Permitted"/>
        /// is false; an error never yields a decision. Nothing is recorded.</summary>
        /// <exception cref="InvalidNationalIdException">The subject does not validate.</exception>
        /// <exception cref="InvalidInputException">An instant out of range.</exception>
        /// <exception cref="UnknownCodeException">An instant before the adoption of the
        /// catalogue that added one of the request's codes.</exception>
        public Decision Decide(string subject, DateTimeOffset at)
        {
            DecisionHandle decision;
            Native.Check(Native.consent_request_decide(handle, Utf8.ToNative(subject, "subject"),
                Time.UnixMs(at), out decision));
            return new Decision(decision);
        }

        /// <summary>Decides as <see cref="Decide"/> does, and records the decision as an access
        /// to the person's data by <paramref name="actor"/> (a role permitted
        /// <c>decide_logged</c>) for <paramref name="lookupPurpose"/>.</summary>
        public Decision DecideLogged(string subject, DateTimeOffset at, Actor actor, string lookupPurpose)
        {
            DecisionHandle decision;
            Native.Check(Native.consent_request_decide_logged(handle, Utf8.ToNative(subject, "subject"),
                Time.UnixMs(at), Actor.ToNative(actor), Utf8.ToNative(lookupPurpose, "lookup_purpose"),
                out decision));
            return new Decision(decision);
        }

        /// <summary>Decides as <see cref="Decide"/> does and returns only the verdict;
        /// cheaper when the basis is not needed.</summary>
        public bool Permits(string subject, DateTimeOffset at)
        {
            byte permitted;
            Native.Check(Native.consent_request_permits(handle, Utf8.ToNative(subject, "subject"),
                Time.UnixMs(at), out permitted));
            return permitted != 0;
        }

        /// <summary>Releases the request.</summary>
        public void Dispose()
        {
            handle.Dispose();
        }
    }
}
