//! YAML as Kubernetes tools read and write it: a writer whose scalars read
//! back the same in YAML 1.1 and 1.2 readers ([`write`]), and a bounded
//! reader of multi-document input that an attacker may have written
//! ([`read`]).

mod block;
pub mod read;
pub mod write;

pub use block::BlockWriter;
pub use read::{parse_documents, yaml11_bool, ReadError, MAX_DEPTH};
pub use write::{style, to_string, write_document, write_node, write_str, Node, Style};
