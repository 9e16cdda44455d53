//! The flags several commands share, one meaning each (docs/cli.md, checked
//! by a test that walks every command's flags):
//!
//! - `-o/--output FORMAT`: the output format, as kubectl's `-o`, in every
//!   command that has formats; a value that is not one of them is refused
//!   with a hint naming `--out-file`.
//! - `--out-file FILE`: write the output to a file instead of stdout.
//! - `-n/--namespace NS`: the namespace of objects that name none, as
//!   kubectl's `-n`.
//!
//! Old spellings (`--format`, `npc graph -o FILE` and `--namespace`,
//! `npc import -o FILE`) still work for one release, with a warning.

use std::ffi::OsStr;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use clap::builder::{PossibleValue, TypedValueParser};
use clap::ValueEnum;

use super::{Reporter, Stop};
use crate::error::Error;

/// The help of `-o/--output` in every command.
pub const OUTPUT_HELP: &str = "The output format, as kubectl's -o";
/// The help of `--out-file` in every command.
pub const OUT_FILE_HELP: &str = "Write the output to FILE instead of standard output";
/// The help of the deprecated `--format`.
pub const FORMAT_DEPRECATED_HELP: &str = "deprecated: use -o/--output";

/// The format names of every command: a value of `-o` that is one of them
/// is a format (perhaps of another command), never a file name.
const ALL_FORMATS: &[&str] = &[
    "yaml", "json", "human", "txt", "csv", "md", "dot", "mermaid", "html", "sarif", "github",
];

/// `-o FORMAT`: the formats of `E`, offered to shell completion; anything
/// else gets a hint naming `--out-file` (and `--out-dir` where
/// `directories`).
#[derive(Clone, Debug)]
pub struct Formats<E> {
    directories: bool,
    _format: PhantomData<fn() -> E>,
}

impl<E> Default for Formats<E> {
    fn default() -> Self {
        Formats {
            directories: false,
            _format: PhantomData,
        }
    }
}

impl<E> Formats<E> {
    /// Also names `--out-dir` in the hint (`npc build`).
    pub fn with_directories() -> Self {
        Formats {
            directories: true,
            _format: PhantomData,
        }
    }
}

fn names<E: ValueEnum>() -> Vec<String> {
    E::value_variants()
        .iter()
        .filter_map(ValueEnum::to_possible_value)
        .map(|p| p.get_name().to_string())
        .collect()
}

/// `a`, `a` or `b`, `a`, `b` or `c`.
fn one_of(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => quoted.join(""),
    }
}

fn parse<E: ValueEnum>(value: &OsStr) -> Option<E> {
    let text = value.to_str()?;
    E::from_str(text, false).ok()
}

/// The error for a value of `-o` that is not a format of `cmd`.
fn not_a_format<E: ValueEnum>(
    cmd: &clap::Command,
    value: &OsStr,
    directories: bool,
) -> clap::Error {
    let value = value.to_string_lossy();
    let mut help = if ALL_FORMATS.contains(&value.as_ref()) {
        format!("`npc {}` does not write `{value}`", cmd.get_name())
    } else {
        format!("to write the output to a file, use `--out-file {value}`")
    };
    if directories && !ALL_FORMATS.contains(&value.as_ref()) {
        help.push_str(&format!(
            "; for one file per namespace in a directory, `--out-dir {value}`"
        ));
    }
    let message = format!(
        "`{value}` is not an output format of `npc {}`: -o takes {}, as in kubectl\n\n  help: {help}",
        cmd.get_name(),
        one_of(&names::<E>())
    );
    clap::Error::raw(clap::error::ErrorKind::InvalidValue, message).format(&mut cmd.clone())
}

impl<E: ValueEnum + Clone + Send + Sync + 'static> TypedValueParser for Formats<E> {
    type Value = E;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<E, clap::Error> {
        parse(value).ok_or_else(|| not_a_format::<E>(cmd, value, self.directories))
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            E::value_variants()
                .iter()
                .filter_map(ValueEnum::to_possible_value),
        ))
    }
}

/// `-o` of a command that used to take a file there (`npc graph`): a
/// format, or for one release a file name (anything that is no command's
/// format), with a warning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormatOrFile<E> {
    Format(E),
    File(PathBuf),
}

/// The parser of [`FormatOrFile`].
#[derive(Clone, Debug)]
pub struct FormatsOrFile<E>(PhantomData<fn() -> E>);

impl<E> Default for FormatsOrFile<E> {
    fn default() -> Self {
        FormatsOrFile(PhantomData)
    }
}

impl<E: ValueEnum + Clone + Send + Sync + 'static> TypedValueParser for FormatsOrFile<E> {
    type Value = FormatOrFile<E>;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<FormatOrFile<E>, clap::Error> {
        if let Some(format) = parse(value) {
            return Ok(FormatOrFile::Format(format));
        }
        let text = value.to_string_lossy();
        if ALL_FORMATS.contains(&text.as_ref()) || text.is_empty() || text.starts_with('-') {
            return Err(not_a_format::<E>(cmd, value, false));
        }
        Ok(FormatOrFile::File(PathBuf::from(value)))
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            E::value_variants()
                .iter()
                .filter_map(ValueEnum::to_possible_value),
        ))
    }
}

/// The format asked for: `-o`, or the deprecated `--format` (with a
/// warning).
pub fn format<E: ValueEnum + Copy>(output: E, deprecated: Option<E>, reporter: &mut Reporter) -> E {
    let Some(format) = deprecated else {
        return output;
    };
    let name = format
        .to_possible_value()
        .map(|p| p.get_name().to_string())
        .unwrap_or_default();
    reporter.warning(
        &Error::usage(format!("`--format` is deprecated: use `-o {name}`"))
            .with_help("`--format` goes away in the next release; `-o/--output` is the format in every command"),
    );
    format
}

/// Warns that a spelling is deprecated and names the new one.
pub fn deprecated(reporter: &mut Reporter, old: &str, new: &str) {
    reporter.warning(
        &Error::usage(format!("{old} is deprecated: use {new}"))
            .with_help(format!("{old} goes away in the next release")),
    );
}

/// Prints the output, or writes it to `--out-file` (through a temporary
/// file and a rename: a reader never sees a partial file, and no symlink at
/// the name is followed).
pub fn emit(text: &str, out_file: Option<&Path>) -> Result<(), Stop> {
    emit_with(out_file, |out| out.write_all(text.as_bytes()))
}

/// [`emit`] of a text that `write` writes (the whole of it, or fails).
pub fn emit_with(
    out_file: Option<&Path>,
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<(), Stop> {
    match out_file {
        Some(path) => crate::files::write_file_with(path, None, write).map_err(Stop::from),
        None => super::print_with_writer(write),
    }
}

#[cfg(test)]
mod tests {
    use super::one_of;

    #[test]
    fn lists_read_as_english() {
        let s = |v: &[&str]| v.iter().map(ToString::to_string).collect::<Vec<_>>();
        assert_eq!(one_of(&s(&["a"])), "`a`");
        assert_eq!(one_of(&s(&["a", "b"])), "`a` or `b`");
        assert_eq!(one_of(&s(&["a", "b", "c"])), "`a`, `b` or `c`");
    }
}
