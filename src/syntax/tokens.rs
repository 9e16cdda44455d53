//! The grammar's tokens, for text that does not parse: what an editor has
//! while a statement is being typed (completion reads the statement at the
//! cursor from them). The words, arrows and strings are those of the
//! grammar's `name`, `arrow` and `string` rules (the tests hold them to
//! it); comments and line continuations are skipped as the grammar's
//! `COMMENT` and `WHITESPACE` are.

/// One token of NPL text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Token<'a> {
    /// A run of the grammar's `word_char`s: a keyword, name, number or
    /// label part (`-` ends it only before `>`).
    Word(&'a str),
    /// A quoted string.
    Str,
    /// Any other ASCII character: `{`, `}`, `(`, `)`, `,`, `:`, `/`, `=`, `!`, `*`.
    Punct(char),
    /// `->`
    Arrow,
    /// `!=`
    NotEq,
    /// The end of a statement: a line break or `;`.
    End,
}

/// The grammar's `word_char`, without its lookahead (see [`lex`]).
pub fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// The tokens of `text`, whatever it holds; never fails.
pub fn lex(text: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let c = char::from(b);
        match c {
            '#' => {
                while bytes.get(i).is_some_and(|&b| b != b'\n') {
                    i += 1;
                }
                continue;
            }
            '\\' if bytes.get(i + 1) == Some(&b'\n') => i += 1,
            '\n' | ';' => out.push(Token::End),
            '"' => {
                i += 1;
                while bytes.get(i).is_some_and(|&b| b != b'"' && b != b'\n') {
                    i += if bytes.get(i) == Some(&b'\\') { 2 } else { 1 };
                }
                out.push(Token::Str);
            }
            '-' if bytes.get(i + 1) == Some(&b'>') => {
                out.push(Token::Arrow);
                i += 1;
            }
            '!' if bytes.get(i + 1) == Some(&b'=') => {
                out.push(Token::NotEq);
                i += 1;
            }
            c if is_word_char(c) => {
                let start = i;
                while bytes.get(i).is_some_and(|&b| {
                    is_word_char(char::from(b)) && !(b == b'-' && bytes.get(i + 1) == Some(&b'>'))
                }) {
                    i += 1;
                }
                out.push(Token::Word(text.get(start..i).unwrap_or("")));
                continue;
            }
            c if c.is_whitespace() => {}
            c if c.is_ascii() => out.push(Token::Punct(c)),
            _ => {}
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use pest::Parser as _;

    use super::{lex, Token};
    use crate::syntax::{NplParser, Rule};

    /// Every `name`, `arrow` and `string` the grammar finds in `text`, as
    /// (rule, text), in order.
    fn grammar_tokens(text: &str) -> Vec<(Rule, String)> {
        let pairs = NplParser::parse(Rule::file, text).unwrap();
        pairs
            .flatten()
            .filter(|p| matches!(p.as_rule(), Rule::name | Rule::arrow | Rule::string))
            .map(|p| (p.as_rule(), p.as_str().to_string()))
            .collect()
    }

    /// The grammar's names, arrows and strings of `text` are tokens, in order.
    fn agrees(text: &str) -> usize {
        let grammar = grammar_tokens(text);
        let mut lexed = lex(text).into_iter();
        for (rule, written) in &grammar {
            let same = |t: &Token<'_>| match (rule, t) {
                (Rule::arrow, Token::Arrow) | (Rule::string, Token::Str) => true,
                (Rule::name, Token::Word(w)) => w == written,
                _ => false,
            };
            assert!(
                lexed.any(|t| same(&t)),
                "the grammar's {rule:?} `{written}` is not a token of:\n{text}"
            );
        }
        grammar.len()
    }

    #[test]
    fn words_arrows_and_strings_are_the_grammars() {
        let text = "# a comment -> with \"quotes\"\n\
            namespace web-1 labels {team=a.b}\n\
            let api_2 = web-1/x, payments/{tier in (a, b)}:8080\n\
            allow api_2->web-1/y:{80, 53/udp} ; allow a.b -> \\\n  c\n\
            include \"sub dir/x \\\" y.npl\"\n\
            set workload-label = app.kubernetes.io/name\n";
        assert_eq!(agrees(text), 14);
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut checked = 0;
        for dir in ["examples", "tests/cases/ok"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "npl") {
                    checked += agrees(&std::fs::read_to_string(&path).unwrap());
                }
            }
        }
        assert!(checked > 100, "{checked}");
    }

    #[test]
    fn comments_and_continuations_are_not_tokens() {
        assert_eq!(
            lex("a \\\n-> b # c -> d\n"),
            [Token::Word("a"), Token::Arrow, Token::Word("b"), Token::End]
        );
        assert_eq!(
            lex("x!=y;"),
            [Token::Word("x"), Token::NotEq, Token::Word("y"), Token::End]
        );
    }
}
