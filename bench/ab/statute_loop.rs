//! Statute-path decisions in a loop, for `scripts/ab-bench.sh` to count instructions with
//! cachegrind: `statute_loop N` decides N times. Written against the API every compared commit has
//! (`Ledger::in_memory`, `decide_with`), so it builds in old worktrees too.
use consent_core::{Catalogue, Ledger};
fn main() {
    let n: u64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let ledger = Ledger::in_memory(Catalogue::embedded()).unwrap();
    let subject = ledger.parse_national_id("15038510190").unwrap();
    let at = "2026-06-01T12:00:00Z".parse().unwrap();
    let cats = ["name", "national_id", "education"];
    let mut yes = 0u64;
    for _ in 0..n {
        let d = ledger.decide_with(std::hint::black_box(&subject), "nir", "nir_registration", std::hint::black_box(&cats), at).unwrap();
        if d.permitted() { yes += 1; }
    }
    println!("{yes}");
}
