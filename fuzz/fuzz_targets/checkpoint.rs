//! Fuzz target: the checkpoint file formats (the pipeline's `checkpoint.json`, version 2, and the
//! version-1 per-input `tail-<input>.json`) must never panic: any input is either a checkpoint or an
//! error saying what is wrong. A checkpoint that parses survives a write/read round trip unchanged,
//! and its rule state restores into a rule set (or is refused) without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use srekit::logs::config::RuleConfig;
use srekit::logs::pipeline_state::PipelineState;
use srekit::logs::rules::RuleSet;
use srekit::logs::tail::Checkpoint;

const RULES: [&str; 3] = [
    "name = \"a_total\"\nkind = \"counter\"\nlabels = [\"x\", \"y\"]\nmax_series = 50",
    "name = \"h\"\nkind = \"histogram\"\nvalue = \"v\"\nbuckets = [1, 2]",
    "name = \"g\"\nkind = \"gauge\"\nvalue = \"v\"\nlabels = [\"x\"]",
];

fuzz_target!(|data: &[u8]| {
    match PipelineState::from_slice(data) {
        Ok(state) => {
            let text = serde_json::to_vec(&state).expect("a parsed state serialises");
            assert_eq!(PipelineState::from_slice(&text).expect("round trip"), state);
            let rules: Vec<RuleConfig> = RULES.iter().map(|r| toml::from_str(r).expect("fixed rule")).collect();
            let mut rule_set = RuleSet::new(&rules, &srekit::metrics::Registry::new()).expect("rules");
            for discarded in rule_set.restore_state(state.rules) {
                assert!(!discarded.to_string().is_empty());
            }
            let _ = rule_set.save_state();
        }
        Err(message) => assert!(!message.is_empty()),
    }
    match Checkpoint::from_slice(data) {
        Ok(checkpoint) => {
            let text = serde_json::to_vec(&checkpoint).expect("a parsed checkpoint serialises");
            assert_eq!(Checkpoint::from_slice(&text).expect("round trip"), checkpoint);
        }
        Err(message) => assert!(!message.is_empty()),
    }
});
