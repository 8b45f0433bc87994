using System;
using System.Collections.Generic;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace Consent
{
    public sealed partial class Ledger
    {
        /// <summary>Calls <paramref name="visit"/> with every event as JSON (subjects as
        /// pseudonyms; the shape of <c>docs/json.md</c>, "Events"), in order, each verified
        /// against the chain, reading the log a page at a time; <paramref name="visit"/>
        /// returns false to stop early. An exception thrown by <paramref name="visit"/> stops
        /// the walk and is rethrown here. <paramref name="visit"/> must not dispose this
        /// ledger.</summary>
        /// <exception cref="IntegrityException">An event does not verify (the events before
        /// it were delivered).</exception>
        /// <exception cref="StorageException">The log cannot be read.</exception>
        public void ForEachEvent(Func<string, bool> visit)
        {
            if (visit == null)
            {
                throw new ArgumentNullException(nameof(visit));
            }
            Exception failure = null;
            Native.EventCallback callback = (json, userData) =>
            {
                // No exception may unwind through the library's frames: keep it for later.
                try
                {
                    return visit(Utf8.FromStatic(json));
                }
                catch (Exception e)
                {
                    failure = e;
                    return false;
                }
            };
            ResultCode result = Native.consent_ledger_events(handle, callback, IntPtr.Zero);
            GC.KeepAlive(callback);
            if (failure != null)
            {
                ExceptionDispatchInfo.Capture(failure).Throw();
            }
            Native.Check(result);
        }

        /// <summary>Every event as JSON, in order (see <see cref="ForEachEvent"/>; for a large
        /// ledger prefer that, which holds one page at a time).</summary>
        public IReadOnlyList<string> Events()
        {
            var events = new List<string>();
            ForEachEvent(json =>
            {
                events.Add(json);
                return true;
            });
            return events;
        }
    }
}
