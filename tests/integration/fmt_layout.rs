//! `npc fmt` layout rules, one test per rule, and a snapshot of a messy file.

fn fmt(text: &str) -> String {
    npc::format::format(text).unwrap_or_else(|d| panic!("fmt failed: {d:?}"))
}

#[test]
fn one_statement_per_line() {
    assert_eq!(
        fmt("let a = web/x; let b = web/y ;allow a -> b\n"),
        "let a = web/x\nlet b = web/y\nallow a -> b\n"
    );
}

#[test]
fn spacing_is_canonical() {
    assert_eq!(
        fmt("allow   web/a,web/b   ->\tapi :{ 80 ,443 }\nlet x=y\nset name-prefix=np-\nexpect  deny  a ->b:5432\n"),
        "allow web/a, web/b -> api:{80, 443}\nlet x = y\nset name-prefix = np-\nexpect deny a -> b:5432\n"
    );
}

#[test]
fn blocks_are_indented_by_two_spaces() {
    assert_eq!(
        fmt("namespace web { isolate ingress; no dns }\nnamespace api {\n\t\tisolate none\n}\nnamespace db {   }\n"),
        "namespace web {\n  isolate ingress\n  no dns\n}\nnamespace api {\n  isolate none\n}\nnamespace db {}\n"
    );
}

#[test]
fn label_sets_are_sorted_and_values_deduplicated() {
    assert_eq!(
        fmt("allow {z=1, a notin (c, b, c), a in (y,x), !m, k, a=v, a!=w}/* -> web/x\n"),
        "allow {a=v, a!=w, a in (x, y), a notin (b, c), k, !m, z=1}/* -> web/x\n"
    );
}

#[test]
fn port_sets_are_sorted_and_deduplicated() {
    assert_eq!(
        fmt("allow a -> b:{http, 8000-8100, 53/udp, 443, 53, 80, 443, 9000-9001/sctp, 53/tcp}\n"),
        "allow a -> b:{53, 53/tcp, 53/udp, 80, 443, 8000-8100, 9000-9001/sctp, http}\n"
    );
    // A set of one is the port alone (the same AST).
    assert_eq!(fmt("allow a -> b:{ 80 }\n"), "allow a -> b:80\n");
    // Numbers sort by value, not as text.
    assert_eq!(
        fmt("allow a -> b:{10000, 9, 100}\n"),
        "allow a -> b:{9, 100, 10000}\n"
    );
}

#[test]
fn strings_are_quoted_only_where_needed() {
    assert_eq!(
        fmt("allow {a=\"web\", b=\"\", c=\"x y\", d=\"q\\\"t\", e=\"b\\\\s\"}/* -> x\n"),
        "allow {a=web, b=\"\", c=\"x y\", d=\"q\\\"t\", e=\"b\\\\s\"}/* -> x\n"
    );
    assert_eq!(
        fmt("set workload-label = \"app.kubernetes.io/name\"\nset name-prefix = \"\"\ninclude \"lib/x.npl\"\n"),
        "set workload-label = app.kubernetes.io/name\nset name-prefix = \"\"\ninclude \"lib/x.npl\"\n"
    );
}

#[test]
fn except_of_one_needs_no_parentheses() {
    assert_eq!(
        fmt("allow a -> 10.0.0.0/8 except (10.1.0.0/16), 10.0.0.0/8 except (10.3.0.0/16,10.2.0.0/16)\n"),
        "allow a -> 10.0.0.0/8 except 10.1.0.0/16, 10.0.0.0/8 except (10.3.0.0/16, 10.2.0.0/16)\n"
    );
}

#[test]
fn trailing_comments_stay_on_their_line_two_spaces_after() {
    assert_eq!(
        fmt("namespace web      # managed\nlet a = x;let b = y # on b\n"),
        "namespace web  # managed\nlet a = x\nlet b = y  # on b\n"
    );
}

#[test]
fn own_line_comments_stay_before_their_statement() {
    assert_eq!(
        fmt("   # about a\nlet a = x\n\n\t# about b\n   # more\nlet b = y\n"),
        "# about a\nlet a = x\n\n# about b\n# more\nlet b = y\n"
    );
}

#[test]
fn comments_around_blocks_are_kept() {
    let text = "namespace web {   # opens\n    # first\n  isolate ingress   # why\n    # last words\n}   # closes\n";
    assert_eq!(
        fmt(text),
        "namespace web {  # opens\n  # first\n  isolate ingress  # why\n  # last words\n}  # closes\n"
    );
    assert_eq!(
        fmt("namespace web { # only this\n}\n"),
        "namespace web {  # only this\n}\n"
    );
}

#[test]
fn a_comment_inside_a_statement_keeps_it_as_written() {
    let text = "allow web/a -> web/{app=api,\n    # the new one\n      tier=backend}:{443,80}   # trailing\nlet z=y\n";
    assert_eq!(
        fmt(text),
        "allow web/a -> web/{app=api,\n    # the new one\n      tier=backend}:{443,80}  # trailing\nlet z = y\n"
    );
    // In a namespace header the whole declaration stays as written.
    let text = "namespace web labels {a=b,  # why\n  c=d} {\n    isolate ingress\n}\n";
    assert_eq!(fmt(text), text);
}

#[test]
fn blank_lines_collapse_to_one_and_the_file_ends_with_one_newline() {
    assert_eq!(
        fmt("\n\n\nlet a = x   \n\n\n\nlet b = y\n   \n\n"),
        "let a = x\n\nlet b = y\n"
    );
    assert_eq!(fmt("let a = x"), "let a = x\n");
    assert_eq!(fmt(""), "");
    assert_eq!(fmt("\n  \n# just this"), "# just this\n");
}

#[test]
fn blank_lines_at_block_edges_are_dropped() {
    assert_eq!(
        fmt("namespace web {\n\n  isolate ingress\n\n  no dns\n\n}\n"),
        "namespace web {\n  isolate ingress\n\n  no dns\n}\n"
    );
}

#[test]
fn crlf_input_gives_lf_output() {
    assert_eq!(
        fmt("let a = x  # c\r\n\r\nlet b = y\r\n"),
        "let a = x  # c\n\nlet b = y\n"
    );
}

#[test]
fn line_continuations_are_joined() {
    assert_eq!(
        fmt("allow web/a \\\n    -> web/b\n"),
        "allow web/a -> web/b\n"
    );
}

#[test]
fn deny_is_kept_as_written() {
    assert_eq!(
        fmt("deny   web/a ->  web/b  # no\n"),
        "deny   web/a ->  web/b  # no\n"
    );
}

#[test]
fn hash_in_a_string_is_not_a_comment() {
    assert_eq!(
        fmt("include   \"a#b.npl\"  # c\n"),
        "include \"a#b.npl\"  # c\n"
    );
}

#[test]
fn syntax_errors_return_diagnostics() {
    let diags = npc::format::format("allow web/a ->\nlet = x\n").unwrap_err();
    assert!(diags.has_errors());
    assert!(diags.iter().all(|d| d.code.id == "E001"));
}

const MESSY: &str = r#"
   # Payments, as a hurried editor left it.


namespace web     # the shop front
namespace payments labels {tier = backend,pci="true"} { isolate ingress,egress; no scrape
    # the database is special


      let db=payments/postgres-primary   # primary only
}
namespace monitoring {
}

let api =payments/api-server;let ops={team in (sre,ops,sre)}/*
allow web/frontend ->api:{8080,metrics,8080, 443}   # the shop calls the API
allow ops  ,  {team="ops"}/{app!=legacy,role}   ->   api:{9090 , 8000-8100/tcp}
allow api -> world:443, 10.0.0.0/8 except (10.1.0.0/16):{5432}
allow api -> payments/{app=api,
    # a comment here keeps this statement as written
  tier=backend}:80
scrape monitoring/prometheus ->{monitoring.io/expose-metrics="true"}:9090
dns kube-system/{k8s-app=kube-dns}, 169.254.20.10
set workload-label="app"



expect allow web/frontend ->payments/api-server:8080
expect deny  web/frontend  ->  payments/postgres-primary:5432   
# end of file


"#;

#[test]
fn messy_file_snapshot() {
    let out = fmt(MESSY);
    assert_eq!(fmt(&out), out);
    insta::assert_snapshot!(out, @r#"
    # Payments, as a hurried editor left it.

    namespace web  # the shop front
    namespace payments labels {pci=true, tier=backend} {
      isolate ingress, egress
      no scrape
      # the database is special

      let db = payments/postgres-primary  # primary only
    }
    namespace monitoring {}

    let api = payments/api-server
    let ops = {team in (ops, sre)}/*
    allow web/frontend -> api:{443, 8080, metrics}  # the shop calls the API
    allow ops, {team=ops}/{app!=legacy, role} -> api:{9090, 8000-8100/tcp}
    allow api -> world:443, 10.0.0.0/8 except 10.1.0.0/16:5432
    allow api -> payments/{app=api,
        # a comment here keeps this statement as written
      tier=backend}:80
    scrape monitoring/prometheus -> {monitoring.io/expose-metrics=true}:9090
    dns kube-system/{k8s-app=kube-dns}, 169.254.20.10
    set workload-label = app

    expect allow web/frontend -> payments/api-server:8080
    expect deny web/frontend -> payments/postgres-primary:5432
    # end of file
    "#);
}
