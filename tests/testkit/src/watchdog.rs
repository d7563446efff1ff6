//! A watchdog that stops a server once the process that started it is gone.
//!
//! `Drop` does not run when a test process is killed or aborts, so every server
//! the harness starts gets a tiny `sh` companion that blocks reading a pipe whose
//! only writer is this process. When this process ends for any reason the kernel
//! closes the pipe, the read returns, and the companion stops the server and
//! removes its directory. No signal handling or `unsafe` is needed for that.

use std::io::{self, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};

/// Holds the write end of the pipe; dropping it releases the companion.
pub(crate) struct Watchdog {
    companion: Child,
    pipe: Option<ChildStdin>,
}

impl Watchdog {
    /// Arms a companion that, on our exit, sends SIGTERM to the process group led
    /// by `pid` (only while `pid` is still the process named `comm`), waits for the
    /// group to end, and removes `dir`.
    pub(crate) fn arm(pid: u32, comm: &str, dir: &Path) -> io::Result<Self> {
        // A "disarm" line means the server was stopped on purpose and the directory stays.
        // POSIX sh, as /bin/sh is dash on Debian: its `kill` takes a process group as
        // `-PGID` and refuses `--` ("Illegal number"), which once left Dovecot running
        // with its directory removed.
        const SCRIPT: &str = r#"if read -r line && [ "$line" = disarm ]; then exit 0; fi
if [ "$(cat /proc/$1/comm 2>/dev/null)" = "$2" ]; then
  kill -TERM "-$1" 2>/dev/null
  n=0
  while kill -0 "-$1" 2>/dev/null && [ $n -lt 100 ]; do sleep 0.1; n=$((n+1)); done
  kill -KILL "-$1" 2>/dev/null
fi
rm -rf -- "$3"
"#;
        let mut companion = Command::new("sh")
            .arg("-c")
            .arg(SCRIPT)
            .arg("watchdog")
            .arg(pid.to_string())
            .arg(comm)
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group: a Ctrl-C meant for the test must not kill the cleaner.
            .process_group(0)
            .spawn()?;
        let pipe = companion.stdin.take();
        Ok(Self { companion, pipe })
    }

    /// Lets the companion do its work now and waits for it to finish.
    pub(crate) fn fire(mut self) {
        self.release_and_wait();
    }

    /// Sends the companion away without touching the server or the directory.
    pub(crate) fn disarm(mut self) {
        if let Some(pipe) = self.pipe.as_mut() {
            // If the companion is already gone there is nothing left to disarm.
            let _ = pipe.write_all(b"disarm\n");
        }
        self.release_and_wait();
    }

    fn release_and_wait(&mut self) {
        if self.pipe.take().is_some() {
            // The companion may already have been killed by a test runner; nothing to report.
            let _ = self.companion.wait();
        }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.release_and_wait();
    }
}
