//! The trunk entry point: mounts the playground.
#![forbid(unsafe_code)]

fn main() {
    starttls_web::start();
}
