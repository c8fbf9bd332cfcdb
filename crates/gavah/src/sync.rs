//! `gavah node` and `gavah bundle`: a node's keys, and bundles cut into chunks
//! for tiny, lossy channels (QR codes, SMS, email, UDP) and joined back.
//!
//! The node's secret lives in its own file beside the store (`STORE.node-key`,
//! readable by its owner only), not in the store, so that it can be destroyed
//! on its own.

use crate::config::Config;
use anyhow::{Context, bail};
use gavah_sync::bundle::{NodePublicKey, NodeSecret, PrekeyPolicy, PrekeyRing, public_key_qr_png};
use gavah_sync::chunk::{Channel, DEFAULT_EXTRA_PERCENT, join_files, split, write_dir};
use std::io::{IsTerminal, Write};
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
    /// Accept another node's public key: its entries merge from now on, and
    /// those waiting in quarantine merge now. Check the key with its owner
    /// out of band (read it aloud, compare the QR code) before trusting it.
    Trust {
        /// The node's public key line (`gavah1…`), as `gavah node key` prints it.
        key: String,
        /// A name to know the node by (and to give to `bundle export --to`).
        #[arg(long)]
        name: Option<String>,
    },
    /// Revoke a key (a seized laptop, a lost drive): its entries that arrive
    /// from now on are refused, and those waiting in quarantine are dropped.
    /// Entries already merged stay.
    Revoke {
        /// The node's public key line, or the name it was trusted under.
        key: String,
        /// Still accept its entries stamped up to this date (the last day the
        /// key was known to be safe; Gregorian or Jalali). Default: none.
        #[arg(long, value_name = "DATE", value_parser = crate::cli::parse_day)]
        after: Option<gavah_core::Date>,
    },
    /// List trusted and revoked peers, and unknown keys whose entries wait in
    /// quarantine.
    Peers,
    /// Lock this node's key and prekeys under a passphrase: the plain files are
    /// overwritten and removed, and every command that needs the keys asks for
    /// the passphrase (or reads GAVAH_PASSPHRASE). For a device that may be
    /// seized powered off. A running `gavah serve --sync` keeps its keys in
    /// memory until stopped.
    Lock,
    /// Unlock the key files for good (an unattended server that must restart
    /// on its own).
    Unlock,
    /// on: every `bundle export` forgets the entries it sends, so the store
    /// keeps them only as the sealed bundle (ciphertext, in its outbox); the
    /// file is scrubbed of the deleted rows. For a field collector's laptop.
    /// off: keep what is sent.
    ForgetSent {
        #[arg(value_parser = ["on", "off"])]
        state: String,
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
    /// Seal the entries the recipients lack (by their last acknowledgement)
    /// into one encrypted, signed bundle file for a courier.
    #[command(after_long_help = EXPORT_HELP)]
    Export(ExportArgs),
    /// Check, decrypt and merge bundles (files, or folders of bundles or of
    /// chunks) addressed to this node. The same bundle twice changes nothing.
    Import(ImportArgs),
    /// Write out again the sealed bundles a node that forgets what it sends
    /// kept (`gavah node forget-sent on`), e.g. when a courier lost one.
    Outbox {
        /// The folder to write them into, one file per bundle.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Cut a bundle into fountain-coded chunks sized for a channel; any K (the
    /// bundle's size over the chunk payload) plus two of them rebuild it.
    Split(SplitArgs),
    /// Rebuild bundles from chunk files (any order, duplicates and other
    /// bundles' chunks allowed), or say how many more chunks each needs.
    Join(JoinArgs),
}

const EXPORT_HELP: &str = "\
The file holds the entries, each signed by the node that wrote it, and this
node's acknowledgement of what it holds, encrypted to each recipient (up to 8)
and padded to a size bucket: without a recipient's key it tells nothing but its
size bucket. Recipients are sealed to with their latest prekey when one is
known (learnt from bundles they sent), so that the file cannot be opened once
they rotate it away; otherwise to their long-term key, which the output says.
Cut it for tiny channels with `gavah bundle split`.";

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Recipients: trusted peers' names or public key lines, comma-separated.
    #[arg(
        long,
        value_name = "KEY[,KEY…]",
        required = true,
        value_delimiter = ','
    )]
    pub to: Vec<String>,
    /// `all`, or a date (Gregorian or Jalali): send every entry stamped from
    /// that day on, whatever the recipients acknowledged. Default: what they
    /// have not acknowledged.
    #[arg(long, value_name = "MARK")]
    pub since: Option<String>,
    /// The bundle file to write.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Bundle files, folders of bundle files, or chunk files and folders of
    /// chunks (QR photos too), which are joined first.
    #[arg(required = true, value_name = "FILE|DIR")]
    pub inputs: Vec<PathBuf>,
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

/// The prekey file of a store: this node's prekey secrets and the prekeys
/// learnt from peers.
pub fn prekeys_path(config: &Config) -> PathBuf {
    let mut p = config.db.clone().into_os_string();
    p.push(".prekeys");
    PathBuf::from(p)
}

/// This node's secret key and prekeys, and the passphrase they were locked
/// with, if they were (`gavah node lock`), to lock the prekeys again on save.
pub struct Keys {
    pub secret: NodeSecret,
    pub ring: PrekeyRing,
    passphrase: Option<Zeroizing<String>>,
}

type Zeroizing<T> = zeroize::Zeroizing<T>;

/// The passphrase of locked key files: `GAVAH_PASSPHRASE`, else asked on the
/// terminal (twice when `confirm`).
fn passphrase(why: &str, confirm: bool) -> anyhow::Result<Zeroizing<String>> {
    if let Ok(p) = std::env::var("GAVAH_PASSPHRASE") {
        return Ok(Zeroizing::new(p));
    }
    if !std::io::stdin().is_terminal() {
        bail!("{why}: give the passphrase on a terminal or in GAVAH_PASSPHRASE");
    }
    let first = Zeroizing::new(
        rpassword::prompt_password(format!("{why}. Passphrase: "))
            .context("cannot read the passphrase")?,
    );
    if confirm {
        let again = Zeroizing::new(
            rpassword::prompt_password("The same passphrase again: ")
                .context("cannot read the passphrase")?,
        );
        if *again != *first {
            bail!("the two passphrases differ; nothing was changed");
        }
    }
    Ok(first)
}

/// Reads a key file, unlocking it if it is locked (asking for the
/// passphrase once per command).
fn read_key_file(
    path: &Path,
    passphrase_held: &mut Option<Zeroizing<String>>,
) -> anyhow::Result<Zeroizing<Vec<u8>>> {
    let bytes = Zeroizing::new(std::fs::read(path).with_context(|| {
        format!(
            "cannot read this node's key {}; make one with `gavah node init`",
            path.display()
        )
    })?);
    if !gavah_sync::lock::is_locked(&bytes) {
        return Ok(bytes);
    }
    if passphrase_held.is_none() {
        *passphrase_held = Some(passphrase("this node's keys are locked", false)?);
    }
    let p = passphrase_held.as_ref().map_or(&[][..], |p| p.as_bytes());
    gavah_sync::lock::unlock(&bytes, p).with_context(|| format!("cannot unlock {}", path.display()))
}

/// This node's keys.
pub fn load_keys(config: &Config) -> anyhow::Result<Keys> {
    let mut held = None;
    let secret = secret_from(config, &mut held)?;
    let path = prekeys_path(config);
    let ring = if path.exists() {
        let bytes = read_key_file(&path, &mut held)?;
        PrekeyRing::from_bytes(&bytes)
            .with_context(|| format!("{} is not a prekey file", path.display()))?
    } else {
        PrekeyRing::new(PrekeyPolicy::default())
    };
    Ok(Keys {
        secret,
        ring,
        passphrase: held,
    })
}

impl Keys {
    /// Prunes expired prekeys and writes the ring back (locked again if it
    /// was locked).
    fn save_ring(&mut self, config: &Config, now: u64) -> anyhow::Result<()> {
        self.ring.prune(now);
        let plain = self.ring.to_bytes();
        let bytes = match &self.passphrase {
            Some(p) => Zeroizing::new(gavah_sync::lock::lock(&plain, p.as_bytes())?),
            None => Zeroizing::new(plain.to_vec()),
        };
        crate::files::write_whole(&prekeys_path(config), &bytes, true)
    }
}

fn now_s() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Reads a peer given as a public key line or by the name it was trusted under.
fn resolve_peer(app: &gavah_app::App, text: &str) -> anyhow::Result<NodePublicKey> {
    let text = text.trim();
    if text.to_ascii_lowercase().starts_with("gavah1") {
        return NodePublicKey::parse(text).with_context(|| format!("'{text}' is not a node key"));
    }
    let peers = app.peer_rows()?;
    let found: Vec<_> = peers
        .iter()
        .filter(|p| {
            p.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(text))
        })
        .collect();
    match found.as_slice() {
        [one] => NodePublicKey::parse(&one.key)
            .with_context(|| format!("the peer '{text}' has no whole public key on record")),
        [] => bail!(
            "no peer is named '{text}'; give its public key line, or name it with `gavah node trust KEY --name {text}`"
        ),
        _ => bail!("several peers are named '{text}'; give the public key line instead"),
    }
}

fn secret_from(
    config: &Config,
    held: &mut Option<Zeroizing<String>>,
) -> anyhow::Result<NodeSecret> {
    let path = key_path(config);
    let bytes = read_key_file(&path, held)?;
    NodeSecret::from_bytes(&bytes).with_context(|| format!("{} is not a node key", path.display()))
}

fn load_secret(config: &Config) -> anyhow::Result<NodeSecret> {
    secret_from(config, &mut None)
}

/// Replaces a key file by `bytes` without leaving the old content on disk:
/// the new file is written beside it and flushed, the old one overwritten
/// with random bytes and removed, and the new one renamed into place.
fn replace_key_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut staged = path.as_os_str().to_owned();
    staged.push(".new");
    let staged = PathBuf::from(staged);
    crate::files::write_whole(&staged, bytes, true)?;
    shred(path)?;
    std::fs::rename(&staged, path).with_context(|| {
        format!(
            "cannot move {} to {}; rename it by hand",
            staged.display(),
            path.display()
        )
    })
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
        NodeCommand::Trust { key, name } => {
            let secret = load_secret(config)?;
            let key = NodePublicKey::parse(key).context("that is not a node key line")?;
            let mut app = crate::cli::open(config)?;
            let r = app.trust_peer(&secret, &key, name.as_deref())?;
            writeln!(
                out,
                "trusted {}{}",
                gavah_app::fingerprint(&key.signer().0),
                name.as_deref()
                    .map(|n| format!(" as '{n}'"))
                    .unwrap_or_default()
            )?;
            print_released(out, &r)?;
        }
        NodeCommand::Revoke { key, after } => {
            let secret = load_secret(config)?;
            let mut app = crate::cli::open(config)?;
            let public = resolve_peer(&app, key)?;
            let after_ms = after.map(|d| {
                // The whole day counts: up to its last millisecond.
                u64::try_from(d.add_days(1).to_days()).unwrap_or(0) * 86_400_000 - 1
            });
            let r = app.revoke_peer(&secret, &public.signer().0, Some(&public), after_ms)?;
            writeln!(
                out,
                "revoked {}: its entries{} are refused from now on; entries already merged stay",
                gavah_app::fingerprint(&public.signer().0),
                after
                    .map(|d| format!(" stamped after {d}"))
                    .unwrap_or_default()
            )?;
            print_released(out, &r)?;
        }
        NodeCommand::Lock => {
            let files: Vec<PathBuf> = [key_path(config), prekeys_path(config)]
                .into_iter()
                .filter(|p| p.exists())
                .collect();
            if files.is_empty() {
                bail!("this node has no keys to lock; make them with `gavah node init`");
            }
            let mut plain = Vec::new();
            for f in &files {
                let bytes = Zeroizing::new(
                    std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?,
                );
                if gavah_sync::lock::is_locked(&bytes) {
                    bail!("{} is locked already", f.display());
                }
                plain.push(bytes);
            }
            let p = passphrase("lock this node's keys", true)?;
            if p.chars().count() < 8 {
                bail!(
                    "a passphrase of fewer than 8 characters is too easy to guess; nothing was changed"
                );
            }
            for (f, bytes) in files.iter().zip(&plain) {
                let locked = gavah_sync::lock::lock(bytes, p.as_bytes())?;
                replace_key_file(f, &locked)?;
                writeln!(out, "locked {}", f.display())?;
            }
        }
        NodeCommand::Unlock => {
            let mut held = None;
            for f in [key_path(config), prekeys_path(config)] {
                if !f.exists() {
                    continue;
                }
                let bytes = read_key_file(&f, &mut held)?;
                replace_key_file(&f, &bytes)?;
                writeln!(out, "unlocked {}", f.display())?;
            }
            if held.is_none() {
                bail!("this node's keys are not locked");
            }
        }
        NodeCommand::ForgetSent { state } => {
            let mut app = crate::cli::open(config)?;
            app.set_forget_sent(state == "on")?;
            writeln!(
                out,
                "{}",
                if state == "on" {
                    "from now on, what this node exports is forgotten here and kept only as the sealed bundle (`gavah bundle outbox`)"
                } else {
                    "this node keeps what it exports"
                }
            )?;
        }
        NodeCommand::Peers => {
            let app = crate::cli::open(config)?;
            let rows = app.peer_rows()?;
            if rows.is_empty() {
                writeln!(
                    out,
                    "no peers yet; accept one with `gavah node trust KEY --name NAME`"
                )?;
            }
            for r in rows {
                writeln!(
                    out,
                    "{:<8} {:<16} {}{}",
                    r.status,
                    r.name.as_deref().unwrap_or("-"),
                    r.key,
                    if r.waiting > 0 {
                        format!("  ({} entries in quarantine)", r.waiting)
                    } else {
                        String::new()
                    }
                )?;
            }
        }
        NodeCommand::Wipe { yes } => {
            if !yes {
                bail!(
                    "this destroys the node key and the store {} beyond recovery; run again with --yes to go ahead",
                    config.db.display()
                );
            }
            let mut files = vec![key_path(config), prekeys_path(config), config.db.clone()];
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

fn print_released(out: &mut impl Write, r: &gavah_app::TrustReport) -> anyhow::Result<()> {
    if r.merged + r.held + r.waiting + r.rejected > 0 {
        writeln!(
            out,
            "quarantine: {} entries merged, {} already held, {} dropped, {} still waiting for another key",
            r.merged, r.held, r.rejected, r.waiting
        )?;
    }
    Ok(())
}

fn parse_since(text: &str) -> anyhow::Result<gavah_app::Since> {
    if text.eq_ignore_ascii_case("all") {
        return Ok(gavah_app::Since::All);
    }
    let day = crate::cli::parse_day(text)
        .map_err(|e| anyhow::anyhow!("--since {text}: {e}, or `all`"))?;
    Ok(gavah_app::Since::Time(
        u64::try_from(day.to_days()).unwrap_or(0) * 86_400_000,
    ))
}

fn export(a: &ExportArgs, config: &Config, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    let since = match &a.since {
        Some(s) => parse_since(s)?,
        None => gavah_app::Since::Acknowledged,
    };
    let mut keys = load_keys(config)?;
    let mut app = crate::cli::open(config)?;
    let to =
        a.to.iter()
            .filter(|t| !t.trim().is_empty())
            .map(|t| resolve_peer(&app, t))
            .collect::<anyhow::Result<Vec<_>>>()?;
    if to.is_empty() {
        bail!("--to names no recipient");
    }
    let now = now_s();
    let r = app.export_bundle(
        &mut gavah_app::NodeKeys {
            secret: &keys.secret,
            ring: &mut keys.ring,
        },
        &to,
        since,
        now,
    )?;
    // The ring first: a bundle sealed to prekeys this node forgot would still
    // open, but a prekey announced and then lost could never open bundles.
    keys.save_ring(config, now)?;
    crate::files::write_whole(&a.out, &r.bytes, false)?;
    writeln!(
        out,
        "wrote {} ({} bytes): {} entries, {} of them this node's ({} signed now){}",
        a.out.display(),
        r.bytes.len(),
        r.entries,
        r.own,
        r.signed_now,
        if r.unsigned_skipped > 0 {
            format!(
                "; {} unsigned entries of other nodes left out",
                r.unsigned_skipped
            )
        } else {
            String::new()
        }
    )?;
    if r.forgotten {
        writeln!(
            out,
            "  this node forgot those entries: it keeps them only as the sealed bundle (`gavah bundle outbox`)"
        )?;
    }
    for (key, prekey) in &r.sealed_to {
        writeln!(
            out,
            "  to {}: {}",
            gavah_app::fingerprint(&key.signer().0),
            if *prekey {
                "sealed to its prekey (cannot be opened once it rotates the prekey away)"
            } else {
                "sealed to its long-term key (no prekey of it known yet: no forward secrecy until it sends a bundle)"
            }
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The files given, and the files in the folders given (sorted by name).
fn list_inputs(inputs: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let mut listed: Vec<PathBuf> = std::fs::read_dir(input)
                .with_context(|| format!("cannot read {}", input.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect();
            listed.sort();
            files.extend(listed);
        } else if input.is_file() {
            files.push(input.clone());
        } else {
            bail!("{} does not exist", input.display());
        }
    }
    Ok(files)
}

/// One line on this node's exchange with others, for `gavah status`: its
/// keys, peers, quarantine and whether it forgets what it sends.
pub fn exchange_status(app: &gavah_app::App, config: &Config) -> anyhow::Result<String> {
    let key = match std::fs::read(key_path(config)) {
        Ok(bytes) if gavah_sync::lock::is_locked(&bytes) => "node key locked",
        Ok(_) => "node key on disk, not locked",
        Err(_) => "no node key",
    };
    let rows = app.peer_rows()?;
    let count = |status: &str| rows.iter().filter(|r| r.status == status).count();
    let waiting: u64 = app
        .store()
        .quarantine_groups()?
        .iter()
        .map(|g| g.entries)
        .sum();
    let mut line = format!(
        "{key}; {} trusted and {} revoked peers; {} entries in quarantine",
        count("trusted"),
        count("revoked"),
        waiting
    );
    if app.forgets_sent()? {
        line.push_str("; forgets what it sends");
    }
    Ok(line)
}

/// Bundle files to import: files as given; folders' files; chunk files
/// joined into bundles first.
fn import_inputs(
    inputs: &[PathBuf],
    out: &mut impl Write,
) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let files = list_inputs(inputs)?;
    let mut bundles = Vec::new();
    let mut chunks = Vec::new();
    for f in files {
        let len = std::fs::metadata(&f)
            .with_context(|| format!("cannot read {}", f.display()))?
            .len();
        if !gavah_sync::bundle::is_bucket_size(len) {
            chunks.push(f);
            continue;
        }
        let bytes = std::fs::read(&f).with_context(|| format!("cannot read {}", f.display()))?;
        if gavah_sync::chunk::is_chunk_file(&bytes) {
            chunks.push(f);
        } else {
            bundles.push((f.display().to_string(), bytes));
        }
    }
    if !chunks.is_empty() {
        let report = join_files(&chunks);
        for p in &report.pending {
            writeln!(
                out,
                "bundle {}: {} more chunks needed (ask for {}); it is not imported yet",
                p.id, p.more_needed, p.more_with_margin
            )?;
        }
        if report.chunks == 0 && bundles.is_empty() {
            bail!(
                "none of the {} files is a bundle or a chunk of one",
                chunks.len()
            );
        }
        for b in report.bundles {
            bundles.push((
                format!("bundle {} (from {} chunks)", b.id, b.chunks_used),
                b.bytes,
            ));
        }
    }
    Ok(bundles)
}

fn import(
    a: &ImportArgs,
    config: &Config,
    show_progress: bool,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let mut keys = load_keys(config)?;
    let mut app = crate::cli::open(config)?;
    let bundles = import_inputs(&a.inputs, out)?;
    if bundles.is_empty() {
        bail!("no whole bundle to import yet");
    }
    for (label, bytes) in bundles {
        let now = now_s();
        let r = app
            .import_bundle(
                &mut gavah_app::NodeKeys {
                    secret: &keys.secret,
                    ring: &mut keys.ring,
                },
                bytes.as_slice(),
                bytes.len() as u64,
                now,
                &crate::progress::Bar::new(show_progress),
            )
            .with_context(|| label.clone())?;
        keys.save_ring(config, now)?;
        let from = r
            .sender_name
            .clone()
            .unwrap_or_else(|| r.sender.chars().take(20).collect::<String>() + "…");
        if r.already.is_some() {
            writeln!(
                out,
                "{label}: bundle {} from {from} was imported before; nothing changed",
                r.id
            )?;
            continue;
        }
        writeln!(
            out,
            "{label}: {} entries from {from}: {} merged, {} already held, {} in quarantine, {} refused",
            r.entries, r.merged, r.held, r.quarantined, r.rejected
        )?;
        if r.forgotten > 0 {
            writeln!(
                out,
                "  {} entries were sent by this node and forgotten (`gavah node forget-sent`): not taken back",
                r.forgotten
            )?;
        }
        if r.sender_revoked {
            writeln!(
                out,
                "  the sender's key is revoked: what it signed after the revocation is refused"
            )?;
        } else if !r.sender_trusted {
            writeln!(
                out,
                "  the sender is not a trusted peer: its entries wait in quarantine until `gavah node trust {}`",
                r.sender
            )?;
        } else if r.quarantined > 0 {
            writeln!(
                out,
                "  some entries are signed by keys this node does not trust yet; `gavah node peers` lists them"
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn bundle(
    c: &BundleCommand,
    config: &Config,
    show_progress: bool,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    match c {
        BundleCommand::Export(a) => return export(a, config, out),
        BundleCommand::Import(a) => return import(a, config, show_progress, out),
        BundleCommand::Outbox { out: dir } => {
            let app = crate::cli::open(config)?;
            let kept = app.store().outbox()?;
            if kept.is_empty() {
                bail!(
                    "the outbox is empty: this node keeps what it sends, or has sent nothing yet"
                );
            }
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            for b in kept {
                let path = dir.join(format!("{}.bundle", hex::encode(b.id)));
                crate::files::write_whole(&path, &b.bytes, false)?;
                writeln!(out, "wrote {} ({} entries)", path.display(), b.entries)?;
            }
        }
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
            let files = list_inputs(&a.inputs)?;
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

pub const SYNC_HELP: &str = "\
The peer runs `gavah serve --sync`; each node must have trusted the other's
key (`gavah node trust KEY --name NAME`). Every message is a sealed bundle,
encrypted to the other node and signed, so plain http:// keeps the content
secret and both ends authenticated. Entries move in batches of 2,000, each
merged on arrival: if the link drops, run the same command again and only
what is still missing moves.";

#[derive(Debug, clap::Args)]
pub struct SyncArgs {
    /// The peer's address, e.g. http://10.0.0.2:8080
    pub url: String,
    /// The peer: the name it was trusted under, or its public key line.
    #[arg(long)]
    pub peer: String,
}

pub fn live_sync(
    a: &SyncArgs,
    config: &Config,
    show_progress: bool,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let keys = load_keys(config)?;
    let mut app = crate::cli::open(config)?;
    let peer = resolve_peer(&app, &a.peer)?;
    let client = gavah_web::live::Client::new(&a.url).map_err(|e| anyhow::anyhow!(e))?;
    let t = std::time::Instant::now();
    let r = app.live_sync(
        &keys.secret,
        &keys.ring,
        &peer,
        |body| client.post(body),
        now_s(),
        &crate::progress::Bar::new(show_progress),
    )?;
    writeln!(
        out,
        "synced with {} in {:.1} s: sent {} entries ({} new there), received {} ({} new here, {} in quarantine, {} refused)",
        a.peer,
        t.elapsed().as_secs_f64(),
        r.pushed,
        r.peer_merged,
        r.fetched,
        r.merged,
        r.quarantined,
        r.rejected
    )?;
    writeln!(
        out,
        "{} round trips ({} to reconcile); {} bytes sent, {} received; reconciliation {} bytes",
        r.round_trips, r.reconcile_round_trips, r.bytes_sent, r.bytes_received, r.reconcile_bytes
    )?;
    Ok(ExitCode::SUCCESS)
}
