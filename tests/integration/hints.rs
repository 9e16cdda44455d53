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

/// `text` with the edits of a diagnostic's first suggestion applied (one file).
fn applied(text: &str, d: &npc::diagnostic::Diagnostic) -> String {
    let mut edits = d.suggestions[0].edits.clone();
    edits.sort_by_key(|e| std::cmp::Reverse(e.span.start()));
    let mut out = text.to_string();
    for e in edits {
        out.replace_range(e.span.range(), &e.text);
    }
    out
}

/// Where the help names an exact edit, the diagnostic carries it: its
/// title, whether it is certain (safe) or a likely reading (unsafe), and
/// the text it makes, which no longer has the problem.
#[test]
fn the_edits_the_help_names_are_suggested_and_remove_the_problem() {
    use npc::diagnostic::Applicability::{MachineApplicable as Safe, MaybeIncorrect as Unsafe};
    let cases = [
        (
            "allow web/a => web/b:80",
            "E001",
            "write `->`",
            Safe,
            "allow web/a -> web/b:80",
        ),
        (
            "allow web/a → web/b:80",
            "E001",
            "write `->`",
            Safe,
            "allow web/a -> web/b:80",
        ),
        (
            "allow web/a to web/b:80",
            "E001",
            "write `->`",
            Unsafe,
            "allow web/a -> web/b:80",
        ),
        (
            "allow web/a -> web/b:udp/53",
            "E001",
            "write `53/udp`",
            Safe,
            "allow web/a -> web/b:53/udp",
        ),
        (
            "allow web/a -> web/b:udp/80-90",
            "E001",
            "write `80-90/udp`",
            Safe,
            "allow web/a -> web/b:80-90/udp",
        ),
        (
            "allow web/a -> web/b:80 443",
            "E001",
            "write `:{80, 443}`",
            Safe,
            "allow web/a -> web/b:{80, 443}",
        ),
        (
            "allow web/a -> 2001:db8::/32:443",
            "E001",
            "write `[2001:db8::/32]:443`",
            Safe,
            "allow web/a -> [2001:db8::/32]:443",
        ),
        (
            "alow web/a -> web/b:80",
            "E001",
            "replace with `allow`",
            Unsafe,
            "allow web/a -> web/b:80",
        ),
        (
            "allow web/a -> web/b:53/UDP",
            "E009",
            "write `udp`",
            Safe,
            "allow web/a -> web/b:53/udp",
        ),
        (
            "allow web/a -> web/b:90-80",
            "E007",
            "write `80-90`",
            Safe,
            "allow web/a -> web/b:80-90",
        ),
        (
            "allow web/a -> webb/b:80",
            "W010",
            "replace with `web`",
            Unsafe,
            "allow web/a -> web/b:80",
        ),
        (
            "let frontend = web/f\nallow frontnd -> web/b:80",
            "E002",
            "replace with `frontend`",
            Unsafe,
            "let frontend = web/f\nallow frontend -> web/b:80",
        ),
        (
            "set workload-lable = app",
            "E021",
            "replace with `workload-label`",
            Unsafe,
            "set workload-label = app",
        ),
        (
            "dns kube-system/{k8s-app=kube-dns}:53",
            "E015",
            "remove the ports",
            Safe,
            "dns kube-system/{k8s-app=kube-dns}",
        ),
        (
            "let api = web/api:8080\nallow web/a -> api:9090",
            "E014",
            "remove the ports here",
            Unsafe,
            "let api = web/api:8080\nallow web/a -> api",
        ),
        (
            "let all = cluster\nnamespace app {\n  allow all -> web/x:80\n}",
            "W013",
            "write `app/all`",
            Unsafe,
            "let all = cluster\nnamespace app {\n  allow app/all -> web/x:80\n}",
        ),
        (
            "\nallow other/a -> third/b:80",
            "W002",
            "declare namespace `other`, `third`",
            Unsafe,
            "namespace other\nnamespace third\n\nallow other/a -> third/b:80",
        ),
    ];
    for (program, code, title, applicability, fixed) in cases {
        let text = format!("namespace web\n{program}\n");
        let c = npc::compile_str("fix.npl", &text);
        let d = c
            .diagnostics
            .iter()
            .find(|d| d.code.id == code)
            .unwrap_or_else(|| panic!("{program}: no {code} in {:?}", c.diagnostics));
        let s = d
            .suggestions
            .first()
            .unwrap_or_else(|| panic!("{program}: {code} has no suggestion"));
        assert_eq!(
            (s.title.as_str(), s.applicability),
            (title, applicability),
            "{program}"
        );
        let after = applied(&text, d);
        assert_eq!(after, format!("namespace web\n{fixed}\n"), "{program}");
        let again = npc::compile_str("fix.npl", &after);
        assert!(
            !again.diagnostics.iter().any(|d| d.code.id == code),
            "{program}: still {code} after the fix:\n{after}"
        );
    }
}

/// A duplicate `include` is removed with its line, or alone when the line
/// holds more.
#[test]
fn a_duplicate_include_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.npl"), "namespace a\n").unwrap();
    for (text, fixed) in [
        (
            "include \"a.npl\"\ninclude \"a.npl\"  # again\nnamespace web\n",
            "include \"a.npl\"\nnamespace web\n",
        ),
        (
            "include \"a.npl\"\nnamespace web; include \"a.npl\"\n",
            "include \"a.npl\"\nnamespace web; \n",
        ),
    ] {
        let main = dir.path().join("main.npl");
        std::fs::write(&main, text).unwrap();
        let c = npc::compile(vec![npc::load::Input {
            name: "main.npl".into(),
            path: Some(main),
            text: text.into(),
        }]);
        let d = c.diagnostics.iter().find(|d| d.code.id == "E017").unwrap();
        let s = &d.suggestions[0];
        assert_eq!(s.title, "remove this `include`");
        assert_eq!(
            s.applicability,
            npc::diagnostic::Applicability::MachineApplicable
        );
        assert_eq!(applied(text, d), fixed);
    }
}

/// `npc build` frees each statement once resolved, so the W002 edit reads
/// the `allow` again from its text: the same edits as a compilation that
/// keeps the statements, wherever the `allow` is written and however it
/// is spelled (a block, a continued line, a comment, a `;`, an include).
#[test]
fn the_declarations_edit_is_the_same_when_statements_are_freed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("more.npl"),
        "namespace inc\nallow far/a -> elsewhere/b:80\n",
    )
    .unwrap();
    // Each program, and the title and text of each W002 edit.
    let other_third = (
        "declare namespace `other`, `third`",
        "namespace other\nnamespace third\n",
    );
    let programs: [(&str, &[(&str, &str)]); 7] = [
        ("namespace web\nallow other/a -> third/b:80\n", &[other_third]),
        ("allow other/a -> third/b:80\n", &[other_third]),
        (
            "namespace web {\n  allow other/a -> third/b:80\n}\nnamespace api\n",
            &[other_third],
        ),
        (
            "namespace web\nallow other/a, \\\n  more/x -> third/b:80, {team=a}/c:81  # a comment\n",
            &[(
                "declare namespace `more`, `other`, `third`",
                "namespace more\nnamespace other\nnamespace third\n",
            )],
        ),
        (
            "namespace web; allow x/a -> y/b:80; allow y/a -> x/b:80\nnamespace api\n",
            &[
                ("declare namespace `x`, `y`", "namespace x\nnamespace y\n"),
                ("declare namespace `x`, `y`", "namespace x\nnamespace y\n"),
            ],
        ),
        (
            "namespace web\ninclude \"more.npl\"\nallow other/a -> third/b:80\n",
            &[
                other_third,
                (
                    "declare namespace `elsewhere`, `far`",
                    "namespace elsewhere\nnamespace far\n",
                ),
            ],
        ),
        (
            "let far = other/a\nnamespace web\nallow far -> third/b:80\n",
            &[("declare namespace `third`", "namespace third\n")],
        ),
    ];
    for (program, want) in programs {
        let main = dir.path().join("main.npl");
        std::fs::write(&main, program).unwrap();
        let input = npc::load::Input {
            name: "main.npl".into(),
            path: Some(main),
            text: program.into(),
        };
        let kept = npc::compile(vec![input.clone()]);
        let freed = npc::compile_to(vec![input], &mut |_, _, _| Ok(())).unwrap();
        assert_eq!(freed.diagnostics, kept.diagnostics, "{program}");
        let edits: Vec<(&str, &str)> = kept
            .diagnostics
            .iter()
            .filter(|d| d.code.id == "W002")
            .flat_map(|d| &d.suggestions)
            .flat_map(|s| s.edits.iter().map(|e| (s.title.as_str(), e.text.as_str())))
            .collect();
        assert_eq!(edits, want, "{program}");
    }
}
