fn main() {
    let path = std::env::args().nth(1).unwrap_or_default();
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let (ast, diags) = npc::syntax::parse(npc::source::FileId(0), &text);
    println!("{ast:#?}");
    for d in diags {
        println!("{d:?}");
    }
}
