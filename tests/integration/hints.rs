//! The help of a diagnostic names the likely fix for common mistakes, and
//! input a user's editor may produce (a byte-order mark, `\r\n`) compiles.

fn help_of(program: &str) -> String {
    let c = npc::compile_str("hint.npl", program);
    assert!(c.has_errors(), "{program} compiled");
    c.diagnostics
        .iter()
        .filter(|d| d.is_error())
        .filter_map(|d| d.help.clone())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn common_mistakes_get_their_fix() {
    for (program, expected) in [
        (
            "allow web/{team=platform eng} -> x/y:80",
            "label values cannot contain spaces: `platform eng` is not a value; write `platform-eng`",
        ),
        ("allow web/a -> x/y:80, 443", "`:{80, 443}`"),
        ("allow web/a -> x/y:80 443", "`:{80, 443}`"),
        ("alow web/a -> x/y:80", "did you mean `allow`?"),
        ("exepct deny web/a -> x/y:80", "did you mean `expect`?"),
        ("allow web/a -> x/y:udp/53", "write `53/udp`"),
        ("allow web/a => x/y:80", "written with `->`"),
        ("allow web/a <- x/y:80", "written with `->`"),
        ("allow web/a → x/y:80", "written with `->`"),
        ("allow web/a to x/y:80", "written with `->`"),
        ("allow web/a -> 2001:db8::/32:443", "`[2001:db8::/32]`"),
        ("let café = web/a", "`é` in `café` is not allowed"),
    ] {
        let help = help_of(&format!("namespace web\n{program}\n"));
        assert!(help.contains(expected), "{program}: {help}");
    }
}

#[test]
fn a_byte_order_mark_and_crlf_line_ends_compile() {
    let c = npc::compile_str(
        "bom.npl",
        "\u{feff}namespace web\r\nallow web/a -> web/b:80\r\n",
    );
    assert!(!c.has_errors(), "{:?}", c.diagnostics);
    assert!(!c.policies.is_empty());
    assert_eq!(
        npc::format::format("\u{feff}namespace web\n").unwrap(),
        "namespace web\n"
    );
}

/// A lone `\r` does not end a statement (only `\n` and `\r\n` do): two
/// statements joined by one are an error, not two statements.
#[test]
fn a_lone_carriage_return_is_not_a_line_break() {
    let c = npc::compile_str("cr.npl", "namespace web\rnamespace db\n");
    assert!(c.has_errors());
}

/// A workload name may be quoted like any label value.
#[test]
fn a_quoted_workload_name_is_a_workload_name() {
    let quoted = npc::compile_str("q.npl", "namespace web\nallow web/\"api\" -> web/db:5432\n");
    let plain = npc::compile_str("q.npl", "namespace web\nallow web/api -> web/db:5432\n");
    assert!(!quoted.has_errors(), "{:?}", quoted.diagnostics);
    assert_eq!(quoted.policies, plain.policies);
}
