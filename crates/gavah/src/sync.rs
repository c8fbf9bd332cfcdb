//! `gavah node` and `gavah bundle`: a node's keys, and bundles cut into chunks
//! for tiny, lossy channels (QR codes, SMS, email, UDP) and joined back.
//!
//! The node's secret lives in its own file beside the store (`STORE.node-key`,
//! readable by its owner only), not in the store, so that it can be destroyed
//! on its own.

use crate::config::Config;
use anyhow::{Context, bail};
use gavah_sync::bundle::{NodeSecret, public_key_qr_png};
use gavah_sync::chunk::{Channel, DEFAULT_EXTRA_PERCENT, join_files, split, write_dir};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Join a team: use the team key another node wrote with
    /// `gavah node team-key --out FILE` (64 hexadecimal digits). Nodes of one
    /// team must share it for their entries to merge.
    #[arg(long, value_name = "FILE")]
    pub team_key_file: Option<PathBuf>,
}

/// Reads a team key file written by `gavah node team-key`.
pub fn read_team_key(path: Option<&Path>) -> anyhow::Result<Option<gavah_entry::TeamKey>> {
    let Some(path) = path else {
        return Ok(None);
    };
    let text = zeroize::Zeroizing::new(
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?,
    );
    let bytes: [u8; 32] = hex::decode(text.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "{}: a team key file holds 64 hexadecimal digits, as `gavah node team-key --out FILE` writes it",
                path.display()
            )
        })?;
    Ok(Some(gavah_entry::TeamKey::from_bytes(bytes)))
}

#[derive(Debug, clap::Subcommand)]
pub enum NodeCommand {
    /// Make this node's keys and print its public key as one line of text.
    Init,
    /// Print this node's public key (to give to the teams it exchanges with).
    Key {
        /// Also write it as a QR code PNG, to be photographed off a screen.
        #[arg(long, value_name = "FILE")]
        qr: Option<PathBuf>,
    },
    /// Write the team's secret key to a new file (owner-only), for another node
    /// of the team to join with `gavah init --team-key-file`. Carry it out of
    /// band and destroy the copy once used: whoever holds it can confirm a
    /// guessed name by recomputing entry ids.
    TeamKey {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Destroy this node's key and its store beyond recovery by this tool:
    /// every file is overwritten with random bytes, flushed to disk, then
    /// removed. For a device about to be seized.
    #[command(after_long_help = WIPE_HELP)]
    Wipe {
        /// Confirm: nothing can be recovered afterwards.
        #[arg(long)]
        yes: bool,
    },
}

const WIPE_HELP: &str = "\
Overwrites the node key (STORE.node-key), the store and its -wal and -shm files
with random bytes, flushes them to the disk and removes them. What this cannot
reach: copies made elsewhere (backups, bundles already sent), and blocks that a
flash drive or a copy-on-write or journalling file system kept aside when the
file was written; for those, full-disk encryption is the protection.";

#[derive(Debug, clap::Subcommand)]
pub enum BundleCommand {
    /// Cut a bundle into fountain-coded chunks sized for a channel; any K (the
    /// bundle's size over the chunk payload) plus two of them rebuild it.
    Split(SplitArgs),
    /// Rebuild bundles from chunk files (any order, duplicates and other
    /// bundles' chunks allowed), or say how many more chunks each needs.
    Join(JoinArgs),
}

#[derive(Debug, clap::Args)]
pub struct SplitArgs {
    /// The bundle file.
    pub file: PathBuf,
    /// qr (PNG images), sms (texts of 140 characters), email (text blocks) or
    /// udp (datagrams).
    #[arg(long, value_parser = parse_channel)]
    pub channel: Channel,
    /// Bytes per chunk, header included. Default: the channel's (qr 300,
    /// sms 105, email 2,048, udp 1,200).
    #[arg(long, value_name = "N")]
    pub chunk_bytes: Option<usize>,
    /// Repair chunks to add, as a percentage of the source chunks.
    #[arg(long, value_name = "PERCENT", default_value_t = DEFAULT_EXTRA_PERCENT)]
    pub extra: u32,
    /// The folder to write one file per chunk into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct JoinArgs {
    /// Folders of chunk files (or QR photos) and chunk files.
    #[arg(required = true, value_name = "DIR|FILE")]
    pub inputs: Vec<PathBuf>,
    /// Where to write the rebuilt bundle; with several bundles, a folder.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

fn parse_channel(s: &str) -> Result<Channel, String> {
    s.parse::<Channel>()
        .map_err(|_| format!("'{s}' is not a channel; expected qr, sms, email or udp"))
}

/// The node key file of a store.
pub fn key_path(config: &Config) -> PathBuf {
    let mut p = config.db.clone().into_os_string();
    p.push(".node-key");
    PathBuf::from(p)
}

fn load_secret(config: &Config) -> anyhow::Result<NodeSecret> {
    let path = key_path(config);
    let bytes = zeroize::Zeroizing::new(std::fs::read(&path).with_context(|| {
        format!(
            "cannot read this node's key {}; make one with `gavah node init`",
            path.display()
        )
    })?);
    NodeSecret::from_bytes(&bytes).with_context(|| format!("{} is not a node key", path.display()))
}

pub fn node(c: &NodeCommand, config: &Config, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    match c {
        NodeCommand::Init => {
            let path = key_path(config);
            if path.exists() {
                bail!(
                    "{} already holds this node's key; `gavah node key` prints it",
                    path.display()
                );
            }
            let secret = NodeSecret::generate().context("cannot make the node's keys")?;
            crate::files::write_whole(&path, &secret.to_bytes(), true)?;
            writeln!(out, "{}", secret.public())?;
        }
        NodeCommand::Key { qr } => {
            let secret = load_secret(config)?;
            let line = secret.public().to_string();
            writeln!(out, "{line}")?;
            if let Some(file) = qr {
                let png = public_key_qr_png(&line).context("cannot draw the QR code")?;
                crate::files::write_whole(file, &png, false)?;
            }
        }
        NodeCommand::TeamKey { out: file } => {
            if file.exists() {
                bail!("{} exists; give a new file", file.display());
            }
            let app = crate::cli::open(config)?;
            let hex = zeroize::Zeroizing::new(format!(
                "{}\n",
                hex::encode(app.store().team_key().as_bytes())
            ));
            crate::files::write_whole(file, hex.as_bytes(), true)?;
            writeln!(
                out,
                "wrote the team key to {}: carry it to the other node out of band, then destroy this copy",
                file.display()
            )?;
        }
        NodeCommand::Wipe { yes } => {
            if !yes {
                bail!(
                    "this destroys the node key and the store {} beyond recovery; run again with --yes to go ahead",
                    config.db.display()
                );
            }
            let mut files = vec![key_path(config), config.db.clone()];
            for suffix in ["-wal", "-shm"] {
                let mut p = config.db.clone().into_os_string();
                p.push(suffix);
                files.push(PathBuf::from(p));
            }
            let mut wiped = 0;
            for f in files.iter().filter(|f| f.exists()) {
                shred(f)?;
                writeln!(out, "destroyed {}", f.display())?;
                wiped += 1;
            }
            if wiped == 0 {
                bail!(
                    "nothing to destroy: neither {} nor its key exists",
                    config.db.display()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Overwrites a file with random bytes in place, flushes it to the disk,
/// then removes it.
fn shred(path: &Path) -> anyhow::Result<()> {
    use std::io::{Seek, SeekFrom};
    let len = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .with_context(|| format!("cannot open {} to destroy it", path.display()))?;
    f.seek(SeekFrom::Start(0))?;
    let mut buf = vec![0u8; 1 << 16];
    let mut left = len;
    while left > 0 {
        let n = usize::try_from(left.min(buf.len() as u64)).unwrap_or(buf.len());
        getrandom::fill(&mut buf[..n]).map_err(|e| anyhow::anyhow!("no random bytes: {e}"))?;
        f.write_all(&buf[..n])
            .with_context(|| format!("cannot overwrite {}", path.display()))?;
        left -= n as u64;
    }
    f.sync_all()
        .with_context(|| format!("cannot flush {}", path.display()))?;
    drop(f);
    std::fs::remove_file(path).with_context(|| format!("cannot remove {}", path.display()))?;
    Ok(())
}

pub fn bundle(c: &BundleCommand, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    match c {
        BundleCommand::Split(a) => {
            let bytes = std::fs::read(&a.file)
                .with_context(|| format!("cannot read {}", a.file.display()))?;
            let chunks = split(&bytes, a.channel, a.chunk_bytes, a.extra)
                .with_context(|| format!("cannot split {}", a.file.display()))?;
            std::fs::create_dir_all(&a.out)
                .with_context(|| format!("cannot create {}", a.out.display()))?;
            let written = write_dir(&a.out, &chunks, a.channel)?;
            let k = chunks.len() * 100 / (100 + a.extra as usize).max(1);
            writeln!(
                out,
                "{}: {} chunks for {} in {} (about {k} of them rebuild it)",
                a.file.display(),
                written.len(),
                a.channel.name(),
                a.out.display()
            )?;
        }
        BundleCommand::Join(a) => {
            let mut files = Vec::new();
            for input in &a.inputs {
                if input.is_dir() {
                    let mut entries: Vec<PathBuf> = std::fs::read_dir(input)
                        .with_context(|| format!("cannot read {}", input.display()))?
                        .filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|p| p.is_file())
                        .collect();
                    entries.sort();
                    files.extend(entries);
                } else {
                    files.push(input.clone());
                }
            }
            let report = join_files(&files);
            writeln!(
                out,
                "read {} chunks from {} files ({} damaged, {} repeated, {} files not chunks)",
                report.chunks,
                files.len(),
                report.rejected,
                report.duplicates,
                report.skipped.len()
            )?;
            for p in &report.pending {
                writeln!(
                    out,
                    "bundle {}: {} chunks of {} needed so far; {} more needed (ask for {})",
                    p.id, p.received, p.source_chunks, p.more_needed, p.more_with_margin
                )?;
            }
            match report.bundles.len() {
                0 => bail!("no bundle could be rebuilt yet; bring the chunks listed above"),
                1 => {
                    let b = &report.bundles[0];
                    crate::files::write_whole(&a.out, &b.bytes, false)?;
                    writeln!(
                        out,
                        "rebuilt bundle {} ({} bytes, from {} chunks) into {}",
                        b.id,
                        b.bytes.len(),
                        b.chunks_used,
                        a.out.display()
                    )?;
                }
                _ => {
                    std::fs::create_dir_all(&a.out)
                        .with_context(|| format!("cannot create {}", a.out.display()))?;
                    for b in &report.bundles {
                        let path = a.out.join(format!("{}.bundle", b.id));
                        crate::files::write_whole(&path, &b.bytes, false)?;
                        writeln!(out, "rebuilt bundle {} into {}", b.id, path.display())?;
                    }
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
