//! Build script: napi-build sets the platform link arguments a Node addon needs.

fn main() {
    napi_build::setup();
}
