using System.Runtime.CompilerServices;

// The tests (tests/dotnet) check the result-code-to-exception map directly, including the
// codes no input can provoke (PANIC).
[assembly: InternalsVisibleTo("ConsentTest")]
