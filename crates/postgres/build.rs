//! Rebuilds the crate when a migration is added or removed: `embed_migrations!` reads
//! the directory at compile time, and cargo does not watch a directory by itself.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations/postgres");
}
