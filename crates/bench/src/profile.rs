//! `--profile`: the server's CPU during the saturated returning phase, sampled by
//! `perf record` (call graphs from DWARF, so a release build without frame pointers
//! will do) and drawn as a flame graph by inferno (`make flamegraph` installs both). The
//! folded stacks stay beside the graph (`.folded`), so two runs can be compared with
//! `inferno-diff-folded`.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{Context, bail};
use tokio::process::{Child, Command};

/// A running `perf record`.
#[derive(Debug)]
pub struct Profile {
    perf: Child,
    data: PathBuf,
}

impl Profile {
    /// Starts sampling process `pid`, writing into `out`.
    pub fn start(pid: u32, out: &Path) -> anyhow::Result<Self> {
        let data = out.join("perf.data");
        let perf = Command::new("perf")
            .args([
                "record",
                "-F",
                "997",
                "-g",
                "--call-graph",
                "dwarf,32768",
                "-o",
            ])
            .arg(&data)
            .args(["-p", &pid.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("cannot run perf (`make flamegraph` installs it)")?;
        Ok(Self { perf, data })
    }

    /// Stops sampling and draws `svg` from the samples, keeping their folded stacks
    /// beside it.
    pub async fn finish(mut self, tools: &Path, svg: &Path, title: &str) -> anyhow::Result<()> {
        let pid = self.perf.id().context("perf exited early")?;
        // perf writes its data when interrupted, as on Ctrl-C.
        Command::new("kill")
            .args(["-INT", &pid.to_string()])
            .status()
            .await?;
        self.perf.wait().await?;
        let folded = svg.with_extension("folded");
        let pipeline = format!(
            "perf script -i '{}' 2>/dev/null | '{}' > '{}' && '{}' --minwidth 0.2 --title '{}' < '{}' > '{}'",
            self.data.display(),
            tools.join("inferno-collapse-perf").display(),
            folded.display(),
            tools.join("inferno-flamegraph").display(),
            title,
            folded.display(),
            svg.display()
        );
        let status = Command::new("sh").args(["-c", &pipeline]).status().await?;
        if !status.success() {
            bail!("drawing the flame graph failed: {pipeline}");
        }
        std::fs::remove_file(&self.data)?;
        Ok(())
    }
}
