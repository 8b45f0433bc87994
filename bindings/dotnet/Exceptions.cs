using System;

namespace Consent
{
    /// <summary>The root of every error the library reports: a <see cref="ResultCode"/> of the
    /// C library and its message (which never contains a national identity number). Each code
    /// has its own subclass; catch this class to handle them all.</summary>
    public class ConsentException : Exception
    {
        /// <summary>An error with the given code and message.</summary>
        public ConsentException(ResultCode code, string message) : base(message)
        {
            Code = code;
        }

        /// <summary>The result code of the C library.</summary>
        public ResultCode Code { get; }

        /// <summary>The code's stable snake_case name (<c>invalid_input</c>, <c>not_found</c>, ...),
        /// as the C library and the Python package name it.</summary>
        public string CodeName
        {
            get { return Library.ResultName(Code); }
        }

        /// <summary>The exception for a result code: its own class, or this one for a code
        /// added to the C library after this assembly was built (still an error).</summary>
        internal static ConsentException Create(ResultCode code, string message)
        {
            switch (code)
            {
                case ResultCode.InvalidInput: return new InvalidInputException(message);
                case ResultCode.InvalidNationalId: return new InvalidNationalIdException(message);
                case ResultCode.UnknownCode: return new UnknownCodeException(message);
                case ResultCode.NotFound: return new NotFoundException(message);
                case ResultCode.Conflict: return new ConflictException(message);
                case ResultCode.NotPermitted: return new NotPermittedException(message);
                case ResultCode.InvalidCatalogue: return new InvalidCatalogueException(message);
                case ResultCode.Storage: return new StorageException(message);
                case ResultCode.Integrity: return new IntegrityException(message);
                case ResultCode.KeyMismatch: return new KeyMismatchException(message);
                case ResultCode.Locked: return new LockedException(message);
                case ResultCode.UnsupportedVersion: return new UnsupportedVersionException(message);
                case ResultCode.NullArgument: return new NullArgumentException(message);
                case ResultCode.InvalidUtf8: return new InvalidUtf8Exception(message);
                case ResultCode.Panic: return new PanicException(message);
                default: return new ConsentException(code, message);
            }
        }
    }

    /// <summary>A value is malformed or out of range: a date, a length, a missing field, bad JSON, a string with a NUL character. (<see cref="ResultCode.InvalidInput"/>)</summary>
    public class InvalidInputException : ConsentException
    {
        /// <summary>An error with the given message.</summary>
        public InvalidInputException(string message) : base(ResultCode.InvalidInput, message) { }

        /// <summary>For subclasses of a more specific code.</summary>
        protected InvalidInputException(ResultCode code, string message) : base(code, message) { }
    }

    /// <summary>A national identity number failed format or control-digit validation. The message never contains the number. (<see cref="ResultCode.InvalidNationalId"/>)</summary>
    public sealed class InvalidNationalIdException : InvalidInputException
    {
        /// <summary>An error with the given message.</summary>
        public InvalidNationalIdException(string message) : base(ResultCode.InvalidNationalId, message) { }
    }

    /// <summary>A purpose, recipient, category or other code is not in the catalogue. (<see cref="ResultCode.UnknownCode"/>)</summary>
    public sealed class UnknownCodeException : ConsentException
    {
        /// <summary>An error with the given message.</summary>
        public UnknownCodeException(string message) : base(ResultCode.UnknownCode, message) { }
    }

    /// <summary>A grant, subject or other record does not exist. (<see cref="ResultCode.NotFound"/>)</summary>
    public sealed class NotFoundException : ConsentException
    {
        /// <summary>An error with the given message.</summary>
        public NotFoundException(string message) : base(ResultCode.NotFound, message) { }
    }

    /// <summary>The request contradicts the ledger's state (for example, withdrawing a withdrawn grant). (<see cref="ResultCode.Conflict"/>)</summary>
    public sealed class ConflictException : ConsentException
    {
        /// <summary>An error with the given message.</summary>
        public ConflictException(string message) : base(ResultCode.Conflict, message) { }
    }

    /// <summary>A disclosure was attempted without a permitting decision; nothing was recorded. (<see cref="ResultCode.NotPermitted"/>)</summary>
    public sealed class NotPermittedException : ConsentException
    {
        /// <summary>An error with the given message.</summary>
        public NotPermittedException(string message) : base(ResultCode.NotPermitted, message) { }
    }

    /// <summary>A catalogue document is invalid. (<see cref="ResultCode.InvalidCatalogue"/>)</summary>
    public sealed class InvalidCatalogueException : ConsentException
    {
        /// <summary>An error with the given message.</summary>
        public InvalidCatalogueException(string message) : base(ResultCode.InvalidCatalogue, message) { }
    }

    /// <summary>The store failed to read or write (also: a catalogue file that cannot be read). (<see cref="ResultCode.Storage"/>)</summary>
    public sealed class StorageException : ConsentException
    {
        /// <summary>An error with the given message.</summary>
        public StorageException(string message) : base(ResultCode.Storage, message) { }
    }

    /// <summary>The event log failed verification: an event was altered, removed or reordered. (<see cref="ResultCode.Integrity"/>)</summary>
    public sealed class IntegrityException : ConsentException
    {
        /// <summary>An error with the given message.</summary>
        public IntegrityException(string message) : base(ResultCode.Integrity, message) { }
    }

    /// <summary>The pseudonym key does not match the one the ledger was created with. (<see cref="ResultCode.KeyMismatch"/>)</summary>
    public sealed class KeyMismatchException : ConsentException
    {
        /// <summary>An error with the given message.</summary>
        public KeyMismatchException(string message) : base(ResultCode.KeyMismatch, message) { }
    }

    /// <summary>Another process is creating or upgrading the ledger file (or a consent 0.1 process has it open), which must be done alone; any number of processes may otherwise have one ledger open. (<see cref="ResultCode.Locked"/>)</summary>
    public sealed class LockedException : ConsentException
    {
        /// <summary>An error with the given message.</summary>
        public LockedException(string message) : base(ResultCode.Locked, message) { }
    }

    /// <summary>The ledger file or a document was written by an incompatible schema version. (<see cref="ResultCode.UnsupportedVersion"/>)</summary>
    public sealed class UnsupportedVersionException : ConsentException
    {
        /// <summary>An error with the given message.</summary>
        public UnsupportedVersionException(string message) : base(ResultCode.UnsupportedVersion, message) { }
    }

    /// <summary>A required argument (or an entry of a list argument) was null; the message names it. (<see cref="ResultCode.NullArgument"/>)</summary>
    public sealed class NullArgumentException : ConsentException
    {
        /// <summary>An error with the given message.</summary>
        public NullArgumentException(string message) : base(ResultCode.NullArgument, message) { }
    }

    /// <summary>A string could not be passed as UTF-8 (it holds a lone surrogate); the message names the argument. (<see cref="ResultCode.InvalidUtf8"/>)</summary>
    public sealed class InvalidUtf8Exception : ConsentException
    {
        /// <summary>An error with the given message.</summary>
        public InvalidUtf8Exception(string message) : base(ResultCode.InvalidUtf8, message) { }
    }

    /// <summary>The library failed internally and caught the failure; nothing was changed. Please report it. (<see cref="ResultCode.Panic"/>)</summary>
    public sealed class PanicException : ConsentException
    {
        /// <summary>An error with the given message.</summary>
        public PanicException(string message) : base(ResultCode.Panic, message) { }
    }
}
