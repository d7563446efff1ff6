//! `webmail-bridge`: parse the configuration, set up logging, serve.

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;
use webmail_bridge::Server;
use webmail_bridge::{Cli, Config};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(&cli) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("webmail-bridge: {error}");
            return ExitCode::from(2);
        }
    };
    if cli.print_config {
        match toml::to_string_pretty(&config) {
            Ok(text) => {
                print!("{text}");
                return ExitCode::SUCCESS;
            }
            Err(error) => {
                eprintln!("webmail-bridge: cannot print the configuration: {error}");
                return ExitCode::FAILURE;
            }
        }
    }
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Logs go through a background writer: a slow or full stdout (a pipe nobody
    // reads) drops log lines instead of blocking the relay's threads.
    let (writer, _flush_on_exit) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(true)
        .finish(std::io::stdout());
    let json = std::env::var("BRIDGE_LOG_FORMAT").is_ok_and(|format| format == "json");
    if json {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(writer)
            .json()
            .init();
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(writer)
            .init();
    }
    let server = match Server::bind(config).await {
        Ok(server) => server,
        Err(error) => {
            eprintln!("webmail-bridge: {error}");
            return ExitCode::FAILURE;
        }
    };
    // A stable first line that scripts and tests read to learn the bound port.
    println!("webmail-bridge: listening on {}", server.url());
    server.run(shutdown_signal()).await;
    ExitCode::SUCCESS
}

/// Resolves on SIGTERM or SIGINT.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(signal) => signal,
        Err(error) => {
            tracing::warn!(%error, "cannot listen for SIGTERM; only Ctrl-C stops the bridge");
            let _ = interrupt.await;
            return;
        }
    };
    tokio::select! {
        _ = interrupt => {}
        _ = terminate.recv() => {}
    }
    tracing::info!("shutdown requested");
}
