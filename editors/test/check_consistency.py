#!/usr/bin/env python3
"""Checks that the editor grammars keep up with the language.

Every keyword (`kw_*` rule) and every operator or punctuation literal of
grammar/npl.pest must be known to the TextMate grammar (VS Code), the Vim
syntax and the tree-sitter grammar and its highlight queries. Run after
`tree-sitter generate` (it reads editors/tree-sitter-npl/src/grammar.json).
Prints one line per missing item and exits 1 if any is missing.
"""
import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
PEST = ROOT / "grammar" / "npl.pest"
TEXTMATE = ROOT / "editors" / "vscode" / "syntaxes" / "npl.tmLanguage.json"
VIM = ROOT / "editors" / "vim" / "syntax" / "npl.vim"
TS = ROOT / "editors" / "tree-sitter-npl"

# Rules of the pest grammar whose literals are characters of a lexical
# class (names, numbers, string bodies), not operators.
CHARACTER_CLASS_RULES = {"word_char", "name", "label_key", "bare_value", "string_inner", "ipv4", "ipv6", "port_name", "port_number"}


def pest_rules(text):
    """Maps each rule name of a pest grammar to its body."""
    rules, name, body = {}, None, []
    for line in text.splitlines():
        line = re.sub(r"//.*", "", line)
        m = re.match(r"^(\w+)\s*=\s*(.*)$", line)
        if m:
            if name:
                rules[name] = "\n".join(body)
            name, body = m.group(1), [m.group(2)]
        elif name:
            body.append(line)
    if name:
        rules[name] = "\n".join(body)
    return rules


def pest_literals(body):
    out = []
    for lit in re.findall(r'"((?:[^"\\]|\\.)*)"', body):
        out.append(re.sub(r"\\(.)", lambda m: {"t": "\t", "n": "\n"}.get(m.group(1), m.group(1)), lit))
    return out


def language():
    rules = pest_rules(PEST.read_text())
    keywords, operators = [], []
    for name, body in rules.items():
        lits = pest_literals(body)
        if name.startswith("kw_"):
            keywords += lits
        elif name not in CHARACTER_CLASS_RULES:
            operators += [l for l in lits if l.strip() and not re.search(r"[A-Za-z0-9_]", l)]
    return sorted(set(keywords)), sorted(set(operators))


def words(regex):
    return set(re.findall(r"[A-Za-z][A-Za-z]*", regex))


# Regex syntax that is not literal text, replaced by a separator before
# looking for literals so that `\=\>` (Vim) or `(?=>` do not read as `=>`.
ONIGURUMA_SYNTAX = r"(?<!\\)\(\?(?:<?[=!]|:)|\\[sSdDwWbBhH]|(?<!\\)[()|?+*]"
VIM_SYNTAX = r"\\%\(|\\@<?[=!]|\\z[se]|\\\{[0-9,]*}|\\[()|<>=+?sSdDwWkKaAxX]"


def unescape(regex, syntax):
    regex = re.sub(syntax, "\0", regex)
    return re.sub(r"\\(.)", r"\1", regex)


def textmate_regexes():
    grammar = json.loads(TEXTMATE.read_text())
    found = []

    def walk(node):
        if isinstance(node, dict):
            # a rule that only marks mistakes (e.g. keywords used as alias
            # names) does not count as knowing a keyword
            if str(node.get("name", "")).startswith("invalid."):
                return
            for key, value in node.items():
                if key in ("match", "begin", "end") and isinstance(value, str):
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(grammar)
    return found


def vim_regexes():
    found = []
    for line in VIM.read_text().splitlines():
        line = line.strip()
        if re.match(r"syn \w+\s+npl\w*(Error|Bad)", line):
            continue  # items that mark mistakes do not count
        if line.startswith("syn keyword"):
            found += line.split()[3:]
        elif line.startswith(("syn match", "syn region", "\\")):
            found += re.findall(r'"((?:[^"\\]|\\.)*)"', line)
            found += re.findall(r"\+((?:[^+\\]|\\.)*)\+", line)
    return found


def tree_sitter_tokens():
    grammar = json.loads((TS / "src" / "grammar.json").read_text())
    strings, aliases = set(), {}

    def walk(node, rule):
        if isinstance(node, dict):
            if node.get("type") == "STRING":
                strings.add(node["value"])
                aliases.setdefault(node["value"], set()).add(rule)
            if node.get("type") == "ALIAS" and node.get("named") and node["content"].get("type") == "STRING":
                aliases.setdefault(node["content"]["value"], set()).add(node["value"])
            for value in node.values():
                walk(value, rule)
        elif isinstance(node, list):
            for item in node:
                walk(item, rule)

    for name, rule in grammar["rules"].items():
        walk(rule, name)
    return strings, aliases


def main():
    keywords, operators = language()
    problems = []

    tm = textmate_regexes()
    tm_words = set().union(*(words(r) for r in tm))
    tm_text = "\n".join(unescape(r, ONIGURUMA_SYNTAX) for r in tm)
    for kw in keywords:
        if kw not in tm_words:
            problems.append(f"textmate: keyword `{kw}` is not matched by any rule")
    for op in operators:
        if op not in tm_text:
            problems.append(f"textmate: operator `{op}` is not matched by any rule")

    vim = vim_regexes()
    vim_words = set().union(*(words(r) for r in vim))
    vim_text = "\n".join(unescape(r, VIM_SYNTAX) for r in vim)
    for kw in keywords:
        if kw not in vim_words:
            problems.append(f"vim: keyword `{kw}` is not matched by any syntax item")
    for op in operators:
        if op not in vim_text:
            problems.append(f"vim: operator `{op}` is not matched by any syntax item")

    strings, owners = tree_sitter_tokens()
    highlights = (TS / "queries" / "highlights.scm").read_text()
    node_types = json.loads((TS / "src" / "node-types.json").read_text())
    anonymous = {t["type"] for t in node_types if not t["named"]}
    for kw in keywords:
        if kw not in strings:
            problems.append(f"tree-sitter: keyword `{kw}` is not in grammar.js")
            continue
        names = owners.get(kw, set())
        if f'"{kw}"' not in highlights and not any(f"({n})" in highlights for n in names):
            problems.append(f"tree-sitter: keyword `{kw}` has no capture in highlights.scm")
    for op in operators:
        if op not in strings:
            problems.append(f"tree-sitter: operator `{op}` is not in grammar.js")
        elif op in anonymous and json.dumps(op) not in highlights:
            problems.append(f"tree-sitter: operator `{op}` has no capture in highlights.scm")

    for p in problems:
        print(p)
    print(f"consistency: {len(keywords)} keywords, {len(operators)} operators "
          f"({' '.join(operators)}) checked against TextMate, Vim and tree-sitter: "
          f"{len(problems)} missing")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
