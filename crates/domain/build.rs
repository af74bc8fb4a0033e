// fluent-templates' static_loader! embeds locales/ at compile time; rebuild when a message file
// changes, or the binary would say the old text.
fn main() {
    println!("cargo:rerun-if-changed=locales");
}
