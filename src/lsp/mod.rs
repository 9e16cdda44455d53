//! `npc lsp`: the language server. The protocol (handshake, capabilities,
//! dispatch, positions) lives here and in the modules beside `analysis`;
//! `analysis` is the one adapter that talks to the compiler.
//!
//! ```text
//!  client ─stdio─▶ transport ─▶ server (buffers, include graph, check on idle)
//!                                  │ handlers ◀─▶ convert (spans ⇄ positions)
//!                                  ▼
//!                               analysis (load, resolve, …, verify; index of names)
//! ```

pub mod analysis;
mod convert;
mod handlers;
mod position;
mod server;
mod transport;
mod workspace;

use std::path::PathBuf;

use lsp_server::Connection;
use lsp_types as lsp;

pub use handlers::policy_title;
pub use position::{Encoding, LineIndex};
pub use transport::{Incoming, Reader, Refusal, MAX_MESSAGE_BYTES};
pub use workspace::{MAX_DOCUMENT_BYTES, MAX_OPEN_BYTES};

/// What the server can do, for the position encoding chosen.
fn capabilities(encoding: Encoding) -> lsp::ServerCapabilities {
    lsp::ServerCapabilities {
        position_encoding: Some(encoding.kind()),
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Options(
            lsp::TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(lsp::TextDocumentSyncKind::INCREMENTAL),
                save: Some(lsp::TextDocumentSyncSaveOptions::Supported(true)),
                ..lsp::TextDocumentSyncOptions::default()
            },
        )),
        hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
        definition_provider: Some(lsp::OneOf::Left(true)),
        references_provider: Some(lsp::OneOf::Left(true)),
        rename_provider: Some(lsp::OneOf::Right(lsp::RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: lsp::WorkDoneProgressOptions::default(),
        })),
        completion_provider: Some(lsp::CompletionOptions {
            trigger_characters: Some(
                ["/", ":", "{", ",", "=", "("]
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
            ),
            ..lsp::CompletionOptions::default()
        }),
        document_formatting_provider: Some(lsp::OneOf::Left(true)),
        code_action_provider: Some(lsp::CodeActionProviderCapability::Options(
            lsp::CodeActionOptions {
                code_action_kinds: Some(vec![lsp::CodeActionKind::QUICKFIX]),
                ..lsp::CodeActionOptions::default()
            },
        )),
        document_symbol_provider: Some(lsp::OneOf::Left(true)),
        code_lens_provider: Some(lsp::CodeLensOptions {
            resolve_provider: Some(false),
        }),
        ..lsp::ServerCapabilities::default()
    }
}

/// The folders to scan for programs: the workspace folders, else the root.
fn folders(params: &lsp::InitializeParams) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = params
        .workspace_folders
        .iter()
        .flatten()
        .filter_map(|f| f.uri.to_file_path().ok())
        .collect();
    #[allow(deprecated)] // older clients send only `rootUri`
    if out.is_empty() {
        out.extend(params.root_uri.as_ref().and_then(|u| u.to_file_path().ok()));
    }
    out
}

/// Serves one client on `connection`: the handshake, then requests until
/// `shutdown` and `exit`.
pub fn serve(connection: &Connection) -> Result<(), String> {
    let (id, params) = connection.initialize_start().map_err(|e| e.to_string())?;
    let params: lsp::InitializeParams =
        serde_json::from_value(params).map_err(|e| format!("invalid `initialize` request: {e}"))?;
    let encoding = Encoding::negotiate(
        params
            .capabilities
            .general
            .as_ref()
            .and_then(|g| g.position_encodings.as_deref()),
    );
    let result = lsp::InitializeResult {
        capabilities: capabilities(encoding),
        server_info: Some(lsp::ServerInfo {
            name: "npc".to_string(),
            version: Some(env!("CARGO_PKG_VERSION").to_string()),
        }),
    };
    let result = serde_json::to_value(result).map_err(|e| e.to_string())?;
    connection
        .initialize_finish(id, result)
        .map_err(|e| e.to_string())?;
    let workspace = workspace::Workspace::new(folders(&params));
    let trace = params.trace.is_some_and(|t| t != lsp::TraceValue::Off);
    server::Server::new(connection, encoding, workspace, trace).run()
}

/// `npc lsp`: serves on stdin and stdout.
pub fn run_stdio() -> Result<(), String> {
    let (connection, threads) =
        transport::stdio().map_err(|e| format!("cannot start the server: {e}"))?;
    let served = serve(&connection);
    drop(connection);
    let joined = threads
        .join()
        .map_err(|e| format!("the connection failed: {e}"));
    served.and(joined)
}
