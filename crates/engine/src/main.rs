//! The trunk entry point of the engine module (a `data-type="worker"` link in `index.html`):
//! its exports are the library's.
#![forbid(unsafe_code)]

fn main() {
    starttls_engine::init();
}
