namespace Consent
{
    /// <summary>The result codes of the C library (<c>consent_result</c>): the values are
    /// stable and only ever appended. Each code but <see cref="Ok"/> has its exception class
    /// under <see cref="ConsentException"/>.</summary>
    public enum ResultCode : uint
    {
        /// <summary>Success.</summary>
        Ok = 0,
        /// <summary>A value is malformed or out of range (a date, a length, a missing field, bad JSON).</summary>
        InvalidInput = 1,
        /// <summary>A national identity number failed format or control-digit validation.</summary>
        InvalidNationalId = 2,
        /// <summary>A purpose, recipient, category or other code is not in the catalogue.</summary>
        UnknownCode = 3,
        /// <summary>A grant, subject or other record does not exist.</summary>
        NotFound = 4,
        /// <summary>The request contradicts the ledger's state (for example, withdrawing a withdrawn grant).</summary>
        Conflict = 5,
        /// <summary>A disclosure was attempted without a permitting decision.</summary>
        NotPermitted = 6,
        /// <summary>A catalogue document is invalid.</summary>
        InvalidCatalogue = 7,
        /// <summary>The store failed to read or write.</summary>
        Storage = 8,
        /// <summary>The event log failed verification.</summary>
        Integrity = 9,
        /// <summary>The pseudonym key does not match the one the ledger was created with.</summary>
        KeyMismatch = 10,
        /// <summary>Another process is creating or upgrading the ledger file, which must be done alone.</summary>
        Locked = 11,
        /// <summary>The ledger file was written by an incompatible schema version.</summary>
        UnsupportedVersion = 12,
        /// <summary>A required argument was null.</summary>
        NullArgument = 100,
        /// <summary>A string was not valid Unicode (for example, a lone surrogate).</summary>
        InvalidUtf8 = 101,
        /// <summary>The library failed internally; nothing was changed.</summary>
        Panic = 102,
    }
}
