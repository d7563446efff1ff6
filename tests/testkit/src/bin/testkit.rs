//! `testkit`: the Dovecot harness and corpus generator for JavaScript tests,
//! benchmarks and the demo.
//!
//! `testkit dovecot` prints one JSON line ([`webmail_testkit::ServerInfo`]) once the
//! server accepts logins, then keeps it running until standard input closes. If
//! this process is killed instead, the harness watchdog still stops the server.

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use webmail_testkit::{Corpus, Dovecot, User};

#[derive(Parser)]
#[command(version, about = "Private Dovecot and mail corpus for webmail-bridge tests")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start a private Dovecot on loopback; print its details as JSON; run until stdin closes.
    Dovecot {
        #[command(flatten)]
        corpus: CorpusArgs,
        /// Accounts as NAME:PASSWORD (default: alice:wonderland and bob:builder).
        #[arg(long = "user", value_parser = parse_user)]
        users: Vec<User>,
        /// Extra Dovecot configuration lines appended to the generated file.
        #[arg(long)]
        extra_config: Option<String>,
        /// Also write what each generated message is (folder, UID, kind, subject,
        /// sender, flags, Message-ID) as a JSON array to this file, for tests that check what a UI shows.
        #[arg(long)]
        manifest: Option<PathBuf>,
        /// Serve a certificate (from the harness CA) that expired in 2020.
        #[arg(long)]
        expired_certificate: bool,
        /// Also run a submission server that delivers to the accounts (its ports are in the JSON).
        #[arg(long)]
        submission: bool,
        /// The submission server's size limit in bytes (default 10 MiB); implies --submission.
        #[arg(long)]
        submission_max_bytes: Option<u64>,
    },
    /// Write a corpus as Maildir into DIR, for inspection or for another server.
    Corpus {
        #[command(flatten)]
        corpus: CorpusArgs,
        /// The directory to fill (a user's mail root).
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(clap::Args)]
struct CorpusArgs {
    /// Messages to generate for the first user.
    #[arg(long, default_value_t = 0)]
    messages: usize,
    /// Seed of the generator: the same seed gives the same mail.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Leave out the 10 MiB message.
    #[arg(long)]
    no_large_attachment: bool,
    /// Put every message in INBOX.
    #[arg(long)]
    inbox_only: bool,
}

impl CorpusArgs {
    fn corpus(&self) -> Corpus {
        let mut corpus = Corpus::new(self.seed, self.messages);
        if self.no_large_attachment {
            corpus = corpus.without_large_attachment();
        }
        if self.inbox_only {
            corpus = corpus.inbox_only();
        }
        corpus
    }
}

/// One line of `--manifest`.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct ManifestEntry {
    folder: &'static str,
    uid: u32,
    kind: webmail_testkit::Kind,
    subject: String,
    from_name: &'static str,
    from_address: &'static str,
    flags: Vec<&'static str>,
    date: i64,
    size: usize,
    message_id: String,
}

fn write_manifest(corpus: &Corpus, path: &std::path::Path) -> Result<(), String> {
    let entries: Vec<ManifestEntry> = corpus
        .messages()
        .map(|message| ManifestEntry {
            folder: message.folder,
            uid: message.uid,
            kind: message.kind,
            subject: message.subject,
            from_name: message.from_name,
            from_address: message.from_address,
            flags: message.flags,
            date: message.date,
            size: message.raw.len(),
            message_id: message.message_id,
        })
        .collect();
    let json = serde_json::to_vec(&entries).map_err(|error| error.to_string())?;
    std::fs::write(path, json).map_err(|error| format!("cannot write {}: {error}", path.display()))
}

fn parse_user(text: &str) -> Result<User, String> {
    let (name, password) = text.split_once(':').ok_or("expected NAME:PASSWORD")?;
    Ok(User::new(name, password))
}

/// What ends `testkit dovecot`: its standard input closing (the parent is done,
/// or gone), or SIGTERM, SIGINT or SIGHUP. Either way Dovecot is then stopped in
/// order and its directory removed before the process exits, so whoever sent the
/// signal can wait for the process and know the server is gone.
struct StopSignal {
    runtime: tokio::runtime::Runtime,
    signals: Vec<tokio::signal::unix::Signal>,
}

impl StopSignal {
    fn listen() -> Result<Self, String> {
        use tokio::signal::unix::{SignalKind, signal};
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .map_err(|error| format!("cannot listen for signals: {error}"))?;
        let signals = runtime.block_on(async {
            [SignalKind::terminate(), SignalKind::interrupt(), SignalKind::hangup()]
                .into_iter()
                .map(signal)
                .collect::<Result<Vec<_>, _>>()
        });
        let signals = signals.map_err(|error| format!("cannot listen for signals: {error}"))?;
        Ok(Self { runtime, signals })
    }

    /// Blocks until standard input closes or one of the signals arrives (also one
    /// that arrived while Dovecot was starting).
    fn wait(mut self) {
        // A plain thread reads standard input: a blocked read must not keep the
        // runtime (or the process) from ending after a signal.
        let (closed, stdin_closed) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = io::stdin().read_to_end(&mut sink);
            let _ = closed.send(());
        });
        self.runtime.block_on(async move {
            let signals = self.signals.iter_mut().map(|signal| Box::pin(signal.recv()));
            tokio::select! {
                _ = futures_util::future::select_all(signals) => {}
                _ = stdin_closed => {}
            }
        });
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("testkit: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Dovecot {
            corpus,
            users,
            extra_config,
            manifest,
            expired_certificate,
            submission,
            submission_max_bytes,
        } => {
            if let Some(path) = &manifest {
                write_manifest(&corpus.corpus(), path)?;
            }
            // Listening before Dovecot starts: a signal during start-up waits for it.
            let stop = StopSignal::listen()?;
            let mut builder = Dovecot::builder();
            if !users.is_empty() {
                builder = builder.users(users);
            }
            if corpus.messages > 0 {
                builder = builder.corpus(corpus.corpus());
            }
            if let Some(extra) = extra_config {
                builder = builder.extra_config(&extra);
            }
            if expired_certificate {
                builder = builder.certificate_validity(webmail_testkit::pki::Validity::EXPIRED);
            }
            match (submission, submission_max_bytes) {
                (_, Some(max_bytes)) => builder = builder.submission_max_bytes(max_bytes),
                (true, None) => builder = builder.submission(),
                (false, None) => {}
            }
            let dovecot = builder.start().map_err(|error| error.to_string())?;
            let json = serde_json::to_string(dovecot.info()).map_err(|error| error.to_string())?;
            let mut stdout = io::stdout().lock();
            writeln!(stdout, "{json}")
                .and_then(|()| stdout.flush())
                .map_err(|error| error.to_string())?;
            stop.wait();
            dovecot.stop();
            Ok(())
        }
        Command::Corpus { corpus, out } => {
            let folders = corpus
                .corpus()
                .write_maildir(&out)
                .map_err(|error| format!("cannot write {}: {error}", out.display()))?;
            let json = serde_json::to_string(&folders).map_err(|error| error.to_string())?;
            println!("{json}");
            Ok(())
        }
    }
}
