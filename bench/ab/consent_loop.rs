//! Consent-path decisions in a loop, for `scripts/ab-bench.sh` to count instructions with
//! cachegrind: `consent_loop N` decides N times. Written against the API every compared commit has
//! (`Ledger::in_memory`, `decide_with`), so it builds in old worktrees too.
use consent_core::{Actor, Catalogue, Ledger};
fn main() {
    let n: u64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let ledger = Ledger::in_memory(Catalogue::embedded()).unwrap();
    let subject = ledger.parse_national_id("15038510190").unwrap();
    let now = chrono::Utc::now();
    let from = (now - chrono::Duration::days(1)).to_rfc3339();
    let grant = format!(r#"{{"subject": "15038510190", "grantor": {{"role": "self"}}, "purposes": ["health_coordination"], "recipients": ["helsetjenesten"], "categories": ["name", "address", "family"], "explicit": false, "valid_from": "{from}", "evidence": {{"method": "signed_paper", "reference": "2026/1234", "language": "ar", "interpreter": true}}, "notice": {{"id": "bosetting-personvern", "version": "2024-10-16"}}}}"#);
    let actor = Actor::new("x", "case_worker").unwrap();
    ledger.grant(&ledger.parse_grant(&grant).unwrap(), &actor).unwrap();
    let at = now + chrono::Duration::days(1);
    let cats = ["name", "address", "family"];
    let mut yes = 0u64;
    for _ in 0..n {
        let d = ledger.decide_with(std::hint::black_box(&subject), "helsetjenesten", "health_coordination", std::hint::black_box(&cats), at).unwrap();
        if d.permitted() { yes += 1; }
    }
    assert_eq!(yes, n);
    println!("{yes}");
}
