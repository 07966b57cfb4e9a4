//! Fuzz target: the exporter's log-pipeline config loader (TOML -> PipelineConfig -> validate) must
//! never panic: any input is either a config or an error naming what is wrong.
#![no_main]

use libfuzzer_sys::fuzz_target;
use srekit::logs::config::PipelineConfig;
use srekit::logs::pipeline::Pipeline;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(config) = toml::from_str::<PipelineConfig>(text) {
        if let Err(err) = Pipeline::validate(&config) {
            assert!(!err.to_string().is_empty());
        }
    }
});
