//! A private Dovecot on loopback for tests, benchmarks and the demo.

use std::fmt::Write as _;
use std::fs;
use std::io::{self, Read};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::corpus::{Corpus, FolderSummary};
use crate::pki::{self, TestCa, Validity};
use crate::watchdog::Watchdog;

/// The special-use folders every account gets, auto-created and subscribed.
const SPECIAL_USE: [(&str, &str); 5] = [
    ("Drafts", "\\Drafts"),
    ("Sent", "\\Sent"),
    ("Trash", "\\Trash"),
    ("Junk", "\\Junk"),
    ("Archive", "\\Archive"),
];

/// The relay between Dovecot's submission service and its LMTP (see the script).
const LMTP_RELAY: &str = include_str!("relay/lmtp_relay.py");
/// Dovecot 2.3's capabilities after login in this configuration (without the
/// ones a test can add, METADATA and COMPRESS), for `without_capabilities`.
const CAPABILITIES: &str = "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES \
THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED \
I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SPECIAL-USE";
/// The largest message the test submission server takes (its EHLO `SIZE`), unless set.
const SUBMISSION_MAX_BYTES: u64 = 10 * 1024 * 1024;

/// How long a fresh Dovecot may take to accept logins.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// Attempts with fresh ports when another process grabbed ours in between.
const PORT_ATTEMPTS: usize = 5;

/// What can go wrong while starting or driving the harness.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HarnessError {
    /// The `dovecot` binary is not installed.
    #[error("dovecot is not installed: run `make setup` (Debian package dovecot-imapd)")]
    DovecotMissing,
    /// A file or process operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What the harness was doing.
        context: String,
        /// The underlying error.
        source: io::Error,
    },
    /// Certificate generation failed.
    #[error("cannot generate the test certificates: {0}")]
    Pki(#[from] pki::PkiError),
    /// Dovecot exited or never became ready; the tail of its log says why.
    #[error("dovecot did not start: {reason}\n--- dovecot log ---\n{log}")]
    NotReady {
        /// A short reason.
        reason: String,
        /// The last lines of Dovecot's log.
        log: String,
    },
    /// A `doveadm` call failed.
    #[error("doveadm {args} failed: {stderr}")]
    Doveadm {
        /// The arguments given.
        args: String,
        /// What doveadm printed.
        stderr: String,
    },
}

fn io_context(context: impl Into<String>) -> impl FnOnce(io::Error) -> HarnessError {
    let context = context.into();
    move |source| HarnessError::Io { context, source }
}

/// A mail account on the test server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// The login name.
    pub username: String,
    /// The password (plain: this is a throwaway test server).
    pub password: String,
}

impl User {
    /// A user with the given name and password.
    pub fn new(username: &str, password: &str) -> Self {
        Self {
            username: username.to_owned(),
            password: password.to_owned(),
        }
    }
}

/// Everything a client needs to reach a running harness, as printed by `testkit dovecot`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServerInfo {
    /// The loopback address the server listens on.
    pub host: String,
    /// Plain IMAP (STARTTLS offered).
    pub imap_port: u16,
    /// Implicit TLS.
    pub imaps_port: u16,
    /// PEM file of the CA that signed the server certificate.
    pub ca_file: PathBuf,
    /// Dovecot's configuration file (for `doveadm -c`).
    pub config_file: PathBuf,
    /// The accounts, with their passwords.
    pub users: Vec<User>,
    /// The folders the corpus filled for the first user, with message counts.
    pub folders: Vec<FolderSummary>,
    /// The submission server, when the harness was built with one.
    pub submission: Option<SubmissionInfo>,
}

/// Dovecot's submission service: mail sent to it is delivered to the
/// harness's own accounts (any domain; the local part names the account).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct SubmissionInfo {
    /// Plain submission, STARTTLS offered (like port 587).
    pub port: u16,
    /// Implicit TLS (like port 465).
    pub tls_port: u16,
    /// The `SIZE` the server announces.
    pub max_bytes: u64,
}

/// The ports one instance listens on.
#[derive(Debug, Clone, Copy)]
struct Ports {
    imap: u16,
    imaps: u16,
    submission: Option<SubmissionPorts>,
}

#[derive(Debug, Clone, Copy)]
struct SubmissionPorts {
    plain: u16,
    tls: u16,
    lmtp: u16,
    relay: u16,
}

impl Ports {
    /// Distinct free ports: every listener is held until all are chosen, so
    /// the kernel cannot hand the same port out twice.
    fn free(with_submission: bool) -> Result<Self, HarnessError> {
        let listeners = (0..if with_submission { 6 } else { 2 })
            .map(|_| TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(io_context("cannot find a free port")))
            .collect::<Result<Vec<_>, _>>()?;
        let ports = listeners
            .iter()
            .map(|listener| listener.local_addr().map(|addr| addr.port()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(io_context("cannot find a free port"))?;
        Ok(Self {
            imap: ports[0],
            imaps: ports[1],
            submission: with_submission.then(|| SubmissionPorts {
                plain: ports[2],
                tls: ports[3],
                lmtp: ports[4],
                relay: ports[5],
            }),
        })
    }
}

/// Options for a harness before it starts.
#[derive(Debug, Clone)]
pub struct DovecotBuilder {
    users: Vec<User>,
    corpus: Option<Corpus>,
    extra_config: String,
    certificate_validity: Validity,
    /// The submission server's size limit, when there is one.
    submission: Option<u64>,
}

impl Default for DovecotBuilder {
    fn default() -> Self {
        Self {
            users: vec![User::new("alice", "wonderland"), User::new("bob", "builder")],
            corpus: None,
            extra_config: String::new(),
            certificate_validity: Validity::CURRENT,
            submission: None,
        }
    }
}

impl DovecotBuilder {
    /// Replaces the default accounts (`alice`/`wonderland`, `bob`/`builder`).
    pub fn users(mut self, users: Vec<User>) -> Self {
        self.users = users;
        self
    }

    /// Fills the first user's mailbox with this corpus before the server starts.
    pub fn corpus(mut self, corpus: Corpus) -> Self {
        self.corpus = Some(corpus);
        self
    }

    /// Issues the server certificate (still signed by the harness CA) for this
    /// window, e.g. [`Validity::EXPIRED`] for expired-certificate tests.
    pub fn certificate_validity(mut self, validity: Validity) -> Self {
        self.certificate_validity = validity;
        self
    }

    /// Adds a submission server (Dovecot's `submission` and `lmtp` services and
    /// a relay between them) that delivers to the harness's accounts.
    pub fn submission(mut self) -> Self {
        self.submission = Some(SUBMISSION_MAX_BYTES);
        self
    }

    /// Sets the submission server's size limit (its EHLO `SIZE`), adding the server if needed.
    pub fn submission_max_bytes(mut self, max_bytes: u64) -> Self {
        self.submission = Some(max_bytes);
        self
    }

    /// Hides capabilities Dovecot would announce after login (e.g. `QRESYNC`,
    /// `CONDSTORE`), to test clients against servers without them.
    pub fn without_capabilities(self, missing: &[&str]) -> Self {
        let kept: Vec<&str> = CAPABILITIES.split(' ').filter(|name| !missing.contains(name)).collect();
        self.extra_config(&format!("imap_capability = {}", kept.join(" ")))
    }

    /// Appends raw Dovecot configuration (for tests that need a different setting).
    pub fn extra_config(mut self, config: &str) -> Self {
        self.extra_config.push_str(config);
        self.extra_config.push('\n');
        self
    }

    /// Writes the configuration, certificates and mail, starts Dovecot and waits
    /// until it accepts logins.
    pub fn start(self) -> Result<Dovecot, HarnessError> {
        let binary = find_program("dovecot").ok_or(HarnessError::DovecotMissing)?;
        let dir = tempfile::Builder::new()
            .prefix("webmail-dovecot-")
            .tempdir()
            .map_err(io_context("cannot create the harness directory"))?
            .keep();
        // Dovecot's unprivileged helpers must traverse the directory when we run as root.
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755))
            .map_err(io_context("cannot open up the harness directory"))?;
        let result =
            Layout::new(&dir, binary).and_then(|layout| layout.populate(&self).map(|folders| (layout, folders)));
        let (layout, folders) = match result {
            Ok(ok) => ok,
            Err(error) => {
                // Best effort: the directory holds nothing worth keeping once start-up failed.
                let _ = fs::remove_dir_all(&dir);
                return Err(error);
            }
        };
        let mut last_error = None;
        for _ in 0..PORT_ATTEMPTS {
            let ports = Ports::free(self.submission.is_some())?;
            match layout.launch(&self, ports, folders.clone()) {
                Ok(dovecot) => return Ok(dovecot),
                Err(error @ HarnessError::NotReady { .. }) if layout.log_says_address_in_use() => {
                    last_error = Some(error);
                }
                Err(error) => {
                    let _ = fs::remove_dir_all(&dir);
                    return Err(error);
                }
            }
        }
        let _ = fs::remove_dir_all(&dir);
        Err(last_error.unwrap_or(HarnessError::NotReady {
            reason: "no free port pair".into(),
            log: String::new(),
        }))
    }
}

/// A running private Dovecot. Dropping it stops the server and removes its files.
pub struct Dovecot {
    layout: Layout,
    info: ServerInfo,
    ports: Ports,
    process: Option<Child>,
    watchdog: Option<Watchdog>,
}

impl std::fmt::Debug for Dovecot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dovecot").field("info", &self.info).finish()
    }
}

impl Dovecot {
    /// Options for a new harness.
    pub fn builder() -> DovecotBuilder {
        DovecotBuilder::default()
    }

    /// Starts a harness with the default accounts and empty mailboxes.
    pub fn start() -> Result<Self, HarnessError> {
        Self::builder().start()
    }

    /// What a client needs to connect.
    pub fn info(&self) -> &ServerInfo {
        &self.info
    }

    /// The plain IMAP listener (STARTTLS available).
    pub fn imap_addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.info.imap_port))
    }

    /// The implicit-TLS listener.
    pub fn imaps_addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.info.imaps_port))
    }

    /// The submission listener offering STARTTLS, when built with [`DovecotBuilder::submission`].
    pub fn submission_addr(&self) -> Option<SocketAddr> {
        self.info
            .submission
            .map(|submission| SocketAddr::from((Ipv4Addr::LOCALHOST, submission.port)))
    }

    /// The implicit-TLS submission listener, when built with [`DovecotBuilder::submission`].
    pub fn submissions_addr(&self) -> Option<SocketAddr> {
        self.info
            .submission
            .map(|submission| SocketAddr::from((Ipv4Addr::LOCALHOST, submission.tls_port)))
    }

    /// The PEM text of the CA that signed the server certificate.
    pub fn ca_pem(&self) -> String {
        fs::read_to_string(&self.info.ca_file).unwrap_or_default()
    }

    /// The account at `index` in the order given to the builder.
    pub fn user(&self, index: usize) -> &User {
        &self.info.users[index]
    }

    /// Runs `doveadm` against this server's configuration, for tests that check
    /// what the server holds without going through the client under test.
    pub fn doveadm(&self, args: &[&str]) -> Result<String, HarnessError> {
        let output: Output = Command::new(find_program("doveadm").ok_or(HarnessError::DovecotMissing)?)
            .arg("-c")
            .arg(&self.info.config_file)
            .args(args)
            .output()
            .map_err(io_context("cannot run doveadm"))?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        } else {
            Err(HarnessError::Doveadm {
                args: args.join(" "),
                stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            })
        }
    }

    /// The process group of the running server (all of Dovecot's processes are in it).
    pub fn process_group(&self) -> Option<u32> {
        self.process.as_ref().map(Child::id)
    }

    /// Stops the server (every connection drops) but keeps its mail for [`Dovecot::restart`].
    pub fn kill(&mut self) {
        if let Some(mut process) = self.process.take() {
            stop_process(&mut process);
        }
        if let Some(watchdog) = self.watchdog.take() {
            watchdog.disarm();
        }
    }

    /// Starts the server again on the same ports with the same mail.
    pub fn restart(&mut self) -> Result<(), HarnessError> {
        self.kill();
        let (process, watchdog) = self.layout.run(self.ports, &self.info.users)?;
        self.process = Some(process);
        self.watchdog = Some(watchdog);
        Ok(())
    }

    /// Stops the server and removes its directory.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(mut process) = self.process.take() {
            stop_process(&mut process);
        }
        if let Some(watchdog) = self.watchdog.take() {
            watchdog.fire();
        }
        // The watchdog removes the directory; this covers a watchdog that was killed.
        let _ = fs::remove_dir_all(&self.layout.dir);
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The files of one harness instance.
#[derive(Clone)]
struct Layout {
    dir: PathBuf,
    binary: PathBuf,
    config_file: PathBuf,
    log_file: PathBuf,
    mail_owner: (u32, u32),
    system_users: SystemUsers,
}

/// Which system accounts Dovecot's processes run as.
#[derive(Clone)]
struct SystemUsers {
    internal: String,
    login: String,
}

impl Layout {
    fn new(dir: &Path, binary: PathBuf) -> Result<Self, HarnessError> {
        let owner = fs::metadata(dir).map_err(io_context("cannot stat the harness directory"))?;
        let running_as_root = owner.uid() == 0;
        // Dovecot refuses mail for uid 0 and login processes as root, so a root
        // run hands the mail to `nobody` and the helpers to Dovecot's own accounts.
        let (mail_owner, system_users) = if running_as_root {
            let nobody = lookup_passwd(|entry| entry.name == "nobody").map_or((65534, 65534), |e| (e.uid, e.gid));
            (
                nobody,
                SystemUsers {
                    internal: "dovecot".into(),
                    login: "dovenull".into(),
                },
            )
        } else {
            let me = lookup_passwd(|entry| entry.uid == owner.uid())
                .map(|entry| entry.name)
                .or_else(|| std::env::var("USER").ok())
                .unwrap_or_else(|| "nobody".into());
            (
                (owner.uid(), owner.gid()),
                SystemUsers {
                    internal: me.clone(),
                    login: me,
                },
            )
        };
        Ok(Self {
            dir: dir.to_owned(),
            binary,
            config_file: dir.join("dovecot.conf"),
            log_file: dir.join("dovecot.log"),
            mail_owner,
            system_users,
        })
    }

    /// Writes certificates, accounts and mail; returns the corpus's folders.
    fn populate(&self, options: &DovecotBuilder) -> Result<Vec<FolderSummary>, HarnessError> {
        for sub in ["run", "state", "mail", "home"] {
            fs::create_dir_all(self.dir.join(sub)).map_err(io_context(format!("cannot create {sub}/")))?;
        }
        let ca = TestCa::generate("webmail-bridge test CA")?;
        let server = ca.issue_server(&pki::LOOPBACK_NAMES, options.certificate_validity)?;
        write(&self.dir.join("ca.pem"), &ca.cert_pem())?;
        write(&self.dir.join("server.pem"), &server.cert_pem)?;
        write(&self.dir.join("server.key"), &server.key_pem)?;

        let (uid, gid) = self.mail_owner;
        let mut passwd = String::new();
        for user in &options.users {
            let home = self.dir.join("home").join(&user.username);
            // passwd-file fields: user:password:uid:gid:gecos:home:shell:extra
            let _ = writeln!(
                passwd,
                "{}:{{PLAIN}}{}:{uid}:{gid}::{}::",
                user.username,
                user.password,
                home.display()
            );
        }
        write(&self.dir.join("users"), &passwd)?;

        let mut folders = Vec::new();
        if let (Some(corpus), Some(first)) = (&options.corpus, options.users.first()) {
            folders = corpus
                .write_maildir(&self.dir.join("mail").join(&first.username))
                .map_err(io_context("cannot write the mail corpus"))?;
        }
        if uid != current_uid(&self.dir) {
            chown_tree(&self.dir.join("mail"), uid, gid)?;
            chown_tree(&self.dir.join("home"), uid, gid)?;
        }
        Ok(folders)
    }

    fn launch(
        &self,
        options: &DovecotBuilder,
        ports: Ports,
        folders: Vec<FolderSummary>,
    ) -> Result<Dovecot, HarnessError> {
        write(
            &self.config_file,
            &self.config(ports, options.submission, &options.extra_config),
        )?;
        write(&self.dir.join("lmtp_relay.py"), LMTP_RELAY)?;
        let _ = fs::remove_file(&self.log_file);
        let (process, watchdog) = self.run(ports, &options.users)?;
        let info = ServerInfo {
            host: Ipv4Addr::LOCALHOST.to_string(),
            imap_port: ports.imap,
            imaps_port: ports.imaps,
            ca_file: self.dir.join("ca.pem"),
            config_file: self.config_file.clone(),
            users: options.users.clone(),
            folders,
            submission: ports.submission.map(|submission| SubmissionInfo {
                port: submission.plain,
                tls_port: submission.tls,
                max_bytes: options.submission.unwrap_or(SUBMISSION_MAX_BYTES),
            }),
        };
        Ok(Dovecot {
            layout: self.clone(),
            info,
            ports,
            process: Some(process),
            watchdog: Some(watchdog),
        })
    }

    /// Starts Dovecot under a watchdog and waits until it accepts logins (and,
    /// with submission, until the relay runs in Dovecot's process group, which
    /// is stopped as one); on failure the processes are stopped and the
    /// directory kept for a retry.
    fn run(&self, ports: Ports, users: &[User]) -> Result<(Child, Watchdog), HarnessError> {
        let mut process = self.spawn()?;
        let watchdog = match Watchdog::arm(process.id(), "dovecot", &self.dir) {
            Ok(watchdog) => watchdog,
            Err(source) => {
                stop_process(&mut process);
                return Err(HarnessError::Io {
                    context: "cannot start the harness watchdog".into(),
                    source,
                });
            }
        };
        let ready = self
            .wait_ready(&mut process, ports.imap)
            .and_then(|()| match ports.submission {
                Some(submission) => self.start_relay(&process, submission, users),
                None => Ok(()),
            });
        match ready {
            Ok(()) => Ok((process, watchdog)),
            Err(error) => {
                stop_process(&mut process);
                watchdog.disarm();
                Err(error)
            }
        }
    }

    fn spawn(&self) -> Result<Child, HarnessError> {
        // Stale pid files from a killed instance make Dovecot refuse to start.
        let _ = fs::remove_file(self.dir.join("run").join("master.pid"));
        Command::new(&self.binary)
            .arg("-F")
            .arg("-c")
            .arg(&self.config_file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            // Stopped by us or by the watchdog, in order, never by a terminal's Ctrl-C.
            .process_group(0)
            .spawn()
            .map_err(io_context("cannot start dovecot"))
    }

    /// Waits until the plain listener greets with its capabilities, which Dovecot
    /// only does once its auth process answers (before that it says "Waiting for
    /// authentication process to respond").
    fn wait_ready(&self, process: &mut Child, port: u16) -> Result<(), HarnessError> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = process.try_wait() {
                let mut stderr = String::new();
                if let Some(mut pipe) = process.stderr.take() {
                    let _ = pipe.read_to_string(&mut stderr);
                }
                return Err(HarnessError::NotReady {
                    reason: format!("dovecot exited with {status}: {}", stderr.trim()),
                    log: self.log_tail(),
                });
            }
            if greeting_is_ready(port) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(HarnessError::NotReady {
                    reason: format!("no ready greeting on port {port} within {START_TIMEOUT:?}"),
                    log: self.log_tail(),
                });
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Starts the relay in Dovecot's process group and waits for it and for the
    /// submission service's greeting.
    fn start_relay(&self, dovecot: &Child, ports: SubmissionPorts, users: &[User]) -> Result<(), HarnessError> {
        // Debian's interpreter, which has python3-aiosmtpd; a python3 earlier on
        // PATH (pyenv, a virtualenv) usually does not.
        let python = Some(PathBuf::from("/usr/bin/python3"))
            .filter(|debian| debian.is_file())
            .or_else(|| find_program("python3"))
            .unwrap_or_else(|| PathBuf::from("python3"));
        let mut relay = Command::new(python)
            .arg(self.dir.join("lmtp_relay.py"))
            .arg(ports.relay.to_string())
            .arg(ports.lmtp.to_string())
            .args(users.iter().map(|user| user.username.as_str()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(dovecot.id() as i32)
            .spawn()
            .map_err(io_context("cannot start the submission relay (python3)"))?;
        let mut line = String::new();
        if let Some(stdout) = relay.stdout.take() {
            let _ = io::BufRead::read_line(&mut io::BufReader::new(stdout), &mut line);
        }
        if line.trim() != "ready" {
            let mut stderr = String::new();
            if let Some(mut pipe) = relay.stderr.take() {
                let _ = pipe.read_to_string(&mut stderr);
            }
            let _ = relay.kill();
            let _ = relay.wait();
            return Err(HarnessError::NotReady {
                reason: format!(
                    "the submission relay did not start (Debian package python3-aiosmtpd): {}",
                    stderr.trim()
                ),
                log: self.log_tail(),
            });
        }
        // Reaped as soon as it ends: a zombie would still count as a member of
        // Dovecot's process group, and stopping waits for the group to be empty.
        thread::spawn(move || relay.wait());
        let deadline = Instant::now() + START_TIMEOUT;
        while !greets_with(ports.plain, b"220 ") {
            if Instant::now() > deadline {
                return Err(HarnessError::NotReady {
                    reason: format!(
                        "no submission greeting on port {} within {START_TIMEOUT:?}",
                        ports.plain
                    ),
                    log: self.log_tail(),
                });
            }
            thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    fn log_tail(&self) -> String {
        let log = fs::read_to_string(&self.log_file).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    fn log_says_address_in_use(&self) -> bool {
        fs::read_to_string(&self.log_file)
            .map(|log| log.contains("Address already in use"))
            .unwrap_or(false)
    }

    fn config(&self, ports: Ports, max_bytes: Option<u64>, extra: &str) -> String {
        let (imap_port, imaps_port) = (ports.imap, ports.imaps);
        let (protocols, submission) = match ports.submission {
            Some(submission) => (
                "imap lmtp submission",
                submission_config(submission, max_bytes.unwrap_or(SUBMISSION_MAX_BYTES)),
            ),
            None => ("imap", String::new()),
        };
        let dir = self.dir.display();
        let mut special_use = String::new();
        for (name, flag) in SPECIAL_USE {
            let _ = write!(
                special_use,
                "  mailbox {name} {{\n    special_use = {flag}\n    auto = subscribe\n  }}\n"
            );
        }
        let compress = if self.binary_has_module("lib30_imap_zlib_plugin.so") {
            "imap_zlib"
        } else {
            ""
        };
        format!(
            r#"# Generated by webmail-testkit for one test run; never the system configuration.
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
protocols = {protocols}
listen = 127.0.0.1
default_internal_user = {internal}
default_internal_group = {internal}
default_login_user = {login}
first_valid_uid = 1
ssl = yes
ssl_cert = <{dir}/server.pem
ssl_key = <{dir}/server.key
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:{dir}/mail/%u:LAYOUT=fs
mail_home = {dir}/home/%u
namespace inbox {{
  inbox = yes
  separator = /
{special_use}}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {dir}/users
}}
userdb {{
  driver = passwd-file
  args = {dir}/users
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
  service_count = 0
  process_min_avail = 1
}}
service imap {{
  process_limit = 2048
}}
# METADATA (RFC 5464): per-account settings such as the webmail's identities.
mail_attribute_dict = file:%h/dovecot-attributes
protocol imap {{
  mail_plugins = $mail_plugins {compress}
  mail_max_userip_connections = 10000
  imap_metadata = yes
}}
{submission}
{extra}"#,
            internal = self.system_users.internal,
            login = self.system_users.login,
        )
    }

    fn binary_has_module(&self, module: &str) -> bool {
        Path::new("/usr/lib/dovecot/modules").join(module).exists()
    }
}

/// The submission service and the LMTP it delivers through (via the relay).
fn submission_config(ports: SubmissionPorts, max_bytes: u64) -> String {
    format!(
        r#"hostname = mail.test
# LMTP is given bob@anything; the account is "bob".
auth_username_format = %Ln
submission_relay_host = 127.0.0.1
submission_relay_port = {relay}
submission_max_mail_size = {max_bytes}
service submission-login {{
  inet_listener submission {{
    address = 127.0.0.1
    port = {plain}
  }}
  inet_listener submissions {{
    address = 127.0.0.1
    port = {tls}
    ssl = yes
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp}
  }}
}}
"#,
        relay = ports.relay,
        plain = ports.plain,
        tls = ports.tls,
        lmtp = ports.lmtp,
    )
}

/// Finds a Dovecot program on PATH or in the sbin directories Debian uses.
fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([
            PathBuf::from("/usr/sbin"),
            PathBuf::from("/usr/local/sbin"),
            PathBuf::from("/usr/bin"),
        ])
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

fn greeting_is_ready(port: u16) -> bool {
    greets_with(port, b"* OK [CAPABILITY")
}

/// Whether the server on `port` sends a first line starting with `prefix`.
fn greets_with(port: u16, prefix: &[u8]) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(
        &SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        Duration::from_millis(500),
    ) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut greeting = Vec::new();
    let mut chunk = [0u8; 512];
    while !greeting.ends_with(b"\r\n") {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return false,
            Ok(n) => greeting.extend_from_slice(&chunk[..n]),
        }
    }
    greeting.starts_with(prefix)
}

/// Stops Dovecot and every process it started: they share its process group, and
/// Dovecot's children outlive a master that got SIGTERM, holding client connections open.
fn stop_process(process: &mut Child) {
    let group = format!("-{}", process.id());
    let signal_group = |signal: &str| {
        Command::new("kill")
            .args([signal, "--", &group])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    };
    if signal_group("-TERM") {
        let deadline = Instant::now() + Duration::from_secs(10);
        // `kill -0` succeeds while any process of the group is alive.
        while Instant::now() < deadline && signal_group("-0") {
            let _ = process.try_wait();
            thread::sleep(Duration::from_millis(20));
        }
        signal_group("-KILL");
    }
    let _ = process.kill();
    let _ = process.wait();
}

fn write(path: &Path, contents: &str) -> Result<(), HarnessError> {
    fs::write(path, contents).map_err(io_context(format!("cannot write {}", path.display())))
}

fn current_uid(dir: &Path) -> u32 {
    fs::metadata(dir).map(|meta| meta.uid()).unwrap_or(0)
}

fn chown_tree(root: &Path, uid: u32, gid: u32) -> Result<(), HarnessError> {
    std::os::unix::fs::chown(root, Some(uid), Some(gid))
        .map_err(io_context(format!("cannot chown {}", root.display())))?;
    if root.is_dir() {
        for entry in fs::read_dir(root).map_err(io_context(format!("cannot list {}", root.display())))? {
            let entry = entry.map_err(io_context("cannot list a mail directory"))?;
            chown_tree(&entry.path(), uid, gid)?;
        }
    }
    Ok(())
}

struct PasswdEntry {
    name: String,
    uid: u32,
    gid: u32,
}

fn lookup_passwd(matches: impl Fn(&PasswdEntry) -> bool) -> Option<PasswdEntry> {
    let passwd = fs::read_to_string("/etc/passwd").ok()?;
    passwd
        .lines()
        .filter_map(|line| {
            let mut fields = line.split(':');
            let name = fields.next()?.to_owned();
            let _password = fields.next()?;
            let uid = fields.next()?.parse().ok()?;
            let gid = fields.next()?.parse().ok()?;
            Some(PasswdEntry { name, uid, gid })
        })
        .find(|entry| matches(entry))
}
