//! Rule options `relabel`, `const_labels` and `expire_after` through `RuleSet` and the registry.
#![allow(clippy::unwrap_used)] // in tests a panic is the failure report

use std::time::{Duration, Instant};

use srekit::expfmt::Format;
use srekit::logs::config::RuleConfig;
use srekit::logs::parse_logfmt;
use srekit::logs::rules::{Outcome, RuleSet};
use srekit::metrics::Registry;

fn rule(toml: &str) -> RuleConfig {
    toml::from_str(toml).unwrap()
}

#[test]
fn relabel_steps_shape_labels_and_drop_records() {
    let config = rule(
        r#"
        name = "http_requests_total"
        kind = "counter"
        labels = ["class", "method"]
        const_labels = { team = "payments" }
        relabel = [
            { source_fields = ["status"], regex = "(\\d)\\d\\d", target = "class", replacement = "${1}xx" },
            { source_fields = ["method"], action = "lowercase", target = "method" },
            { source_fields = ["path"], regex = "/health.*", action = "drop" },
        ]
        match = { class = "^[45]xx$" }
        "#,
    );
    let registry = Registry::new();
    let mut rules = RuleSet::new(&[config], &registry).unwrap();
    let outcomes: Vec<Outcome> = [
        "status=503 method=GET path=/api",
        "status=404 method=Post path=/api",
        "status=500 method=GET path=/healthz",
        "status=200 method=GET path=/api",
        "status=502 method=GET path=/api",
    ]
    .iter()
    .map(|line| rules.apply_all(&parse_logfmt(line).unwrap())[0])
    .collect();
    use Outcome::{NotMatched, Updated};
    assert_eq!(outcomes, [Updated, Updated, NotMatched, NotMatched, Updated]);
    let text = registry.encode_to_string(Format::Text);
    assert!(text.contains(r#"http_requests_total{class="5xx",method="get",team="payments"} 2"#), "{text}");
    assert!(text.contains(r#"http_requests_total{class="4xx",method="post",team="payments"} 1"#), "{text}");
}

#[test]
fn expired_series_leave_the_output_and_free_their_slot() {
    let config = rule("name = \"user_hits_total\"\nkind = \"counter\"\nlabels = [\"user\"]\nmax_series = 2\nexpire_after = \"1m\"");
    let registry = Registry::new();
    let mut rules = RuleSet::new(&[config], &registry).unwrap();
    for user in ["ann", "bob", "cid"] {
        rules.apply_all(&parse_logfmt(&format!("user={user}")).unwrap());
    }
    let text = registry.encode_to_string(Format::Text);
    assert!(
        text.contains("srekit_log_series_dropped_total{metric=\"user_hits_total\",reason=\"max_series\"} 1"),
        "{text}"
    );
    assert_eq!(rules.expire_idle(Instant::now() + Duration::from_secs(30)), 0);
    assert_eq!(rules.expire_idle(Instant::now() + Duration::from_secs(61)), 2);
    let text = registry.encode_to_string(Format::Text);
    assert!(!text.contains("user=\"ann\"") && !text.contains("user=\"bob\""), "{text}");
    assert!(text.contains("srekit_log_series_expired_total{metric=\"user_hits_total\"} 2"), "{text}");
    // The freed slots take new series.
    for user in ["cid", "dan"] {
        assert_eq!(rules.apply_all(&parse_logfmt(&format!("user={user}")).unwrap()), [Outcome::Updated]);
    }
    let text = registry.encode_to_string(Format::Text);
    assert!(
        text.contains("user_hits_total{user=\"cid\"} 1") && text.contains("user_hits_total{user=\"dan\"} 1"),
        "{text}"
    );
}

#[test]
fn expiry_keeps_the_series_that_are_still_updated() {
    let config =
        rule("name = \"temp\"\nkind = \"gauge\"\nvalue = \"c\"\nlabels = [\"room\"]\nexpire_after = \"1m\"");
    let registry = Registry::new();
    let mut rules = RuleSet::new(&[config], &registry).unwrap();
    for line in ["room=a c=1", "room=b c=2", "room=c c=3"] {
        rules.apply_all(&parse_logfmt(line).unwrap());
    }
    // Taken after the first updates: "a" is then idle for at least 60.01 s at `later` however long
    // they took (taken before them, a pause over 10 ms, preemption on a loaded machine, kept "a").
    let start = Instant::now();
    // Series "a" (index 0) expires; "c" (the last) takes its index and must still update its own cell.
    std::thread::sleep(Duration::from_millis(50));
    rules.apply_all(&parse_logfmt("room=c c=30").unwrap());
    rules.apply_all(&parse_logfmt("room=b c=20").unwrap());
    let later = start + Duration::from_secs(60) + Duration::from_millis(10);
    assert_eq!(rules.expire_idle(later), 1);
    rules.apply_all(&parse_logfmt("room=c c=31").unwrap());
    let text = registry.encode_to_string(Format::Text);
    assert!(text.contains("temp{room=\"c\"} 31") && text.contains("temp{room=\"b\"} 20"), "{text}");
    assert!(!text.contains("room=\"a\""), "{text}");
}

#[test]
fn bad_options_are_refused_naming_the_rule() {
    let bad = |toml: &str| RuleSet::new(&[rule(toml)], &Registry::new()).unwrap_err().to_string();
    let err = bad("name = \"a_total\"\nkind = \"counter\"\nexpire_after = \"soon\"");
    assert!(err.starts_with("rule \"a_total\": expire_after:"), "{err}");
    let err = bad("name = \"a_total\"\nkind = \"counter\"\nrelabel = [{ source_fields = [\"x\"], regex = \"(\" , target = \"y\" }]");
    assert!(err.contains("relabel step 1: invalid regex"), "{err}");
    let err = bad("name = \"a_total\"\nkind = \"counter\"\nconst_labels = { \"__reserved\" = \"x\" }");
    assert!(err.starts_with("rule \"a_total\""), "{err}");
}
