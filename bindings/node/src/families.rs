//! The one conversion of core metric families into the binding-level JavaScript shape:
//! `{ name, type, help, unit, samples: [{ name, labels: { k: v }, value, timestamp }] }`
//! where a sample's `name` is its full name (family name + suffix) and `timestamp` is `null` when absent.

use napi::sys;
use srekit::metrics::MetricFamily;

use crate::js::Js;

/// Converts `families` into a JavaScript array of family objects.
pub fn families_to_js(js: Js, families: &[MetricFamily]) -> napi::Result<sys::napi_value> {
    let keys = Keys::new(js)?;
    let array = js.array(families.len())?;
    for (index, family) in families.iter().enumerate() {
        js.set_index(array, index, family_to_js(js, &keys, family)?)?;
    }
    Ok(array)
}

struct Keys {
    name: sys::napi_value,
    kind: sys::napi_value,
    help: sys::napi_value,
    unit: sys::napi_value,
    samples: sys::napi_value,
    labels: sys::napi_value,
    value: sys::napi_value,
    timestamp: sys::napi_value,
}

impl Keys {
    fn new(js: Js) -> napi::Result<Keys> {
        Ok(Keys {
            name: js.string("name")?,
            kind: js.string("type")?,
            help: js.string("help")?,
            unit: js.string("unit")?,
            samples: js.string("samples")?,
            labels: js.string("labels")?,
            value: js.string("value")?,
            timestamp: js.string("timestamp")?,
        })
    }
}

fn family_to_js(js: Js, keys: &Keys, family: &MetricFamily) -> napi::Result<sys::napi_value> {
    let object = js.object()?;
    js.set(object, keys.name, js.string(&family.name)?)?;
    js.set(object, keys.kind, js.string(family.kind.as_str())?)?;
    js.set(object, keys.help, js.string(&family.help)?)?;
    js.set(object, keys.unit, js.string(&family.unit)?)?;
    let samples = js.array(family.samples.len())?;
    let mut sample_name = String::with_capacity(family.name.len() + 8);
    for (index, sample) in family.samples.iter().enumerate() {
        sample_name.clear();
        sample_name.push_str(&family.name);
        sample_name.push_str(sample.suffix.as_str());
        let item = js.object()?;
        js.set(item, keys.name, js.string(&sample_name)?)?;
        let labels = js.object()?;
        for (label, value) in &sample.labels {
            js.set(labels, js.string(label)?, js.string(value)?)?;
        }
        js.set(item, keys.labels, labels)?;
        js.set(item, keys.value, js.number(sample.value)?)?;
        let timestamp = match sample.timestamp {
            Some(seconds) => js.number(seconds)?,
            None => js.null()?,
        };
        js.set(item, keys.timestamp, timestamp)?;
        js.set_index(samples, index, item)?;
    }
    js.set(object, keys.samples, samples)?;
    Ok(object)
}
