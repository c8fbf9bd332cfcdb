//! Configuration: defaults < `gavah.toml` < `GAVAH_*` environment < flags,
//! checked once at start-up and passed down typed.

use crate::cli::Args;
use anyhow::{Context, bail};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// What the config file may say.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    db: Option<PathBuf>,
    author: Option<String>,
    log: Option<String>,
}

/// The effective configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The data directory every default path derives from.
    pub data_dir: PathBuf,
    pub db: PathBuf,
    /// Whether --db/GAVAH_DB/the config file chose the store (the demo uses its
    /// own store unless one was chosen).
    pub db_chosen: bool,
    pub author: String,
    pub log: Option<String>,
    pub config_file: Option<PathBuf>,
}

fn default_data_dir() -> PathBuf {
    dirs::data_dir().map_or_else(|| PathBuf::from(".gavah"), |d| d.join("gavah"))
}

impl Config {
    pub fn load(args: &Args) -> anyhow::Result<Config> {
        let data_dir = default_data_dir();
        let (file, config_file) = match &args.config {
            Some(p) => (read_file(p)?, Some(p.clone())),
            None => {
                let p = data_dir.join("gavah.toml");
                if p.exists() {
                    (read_file(&p)?, Some(p))
                } else {
                    (FileConfig::default(), None)
                }
            }
        };
        let db_chosen = args.db.is_some() || file.db.is_some();
        let db = args
            .db
            .clone()
            .or(file.db)
            .unwrap_or_else(|| data_dir.join("gavah.db"));
        let author = args
            .author
            .clone()
            .or(file.author)
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_else(|| "unknown".into());
        if author.trim().is_empty() {
            bail!("the author name is empty; pass --author NAME or set GAVAH_AUTHOR");
        }
        let log = std::env::var("GAVAH_LOG").ok().or(file.log);
        Ok(Config {
            data_dir,
            db,
            db_chosen,
            author,
            log,
            config_file,
        })
    }

    /// The effective configuration as TOML, for `gavah config show`.
    pub fn show(&self) -> String {
        format!(
            "# effective configuration (defaults < {} < GAVAH_* environment < flags)\n\
             data_dir = {:?}\ndb = {:?}\nauthor = {:?}\nlog = {:?}\n",
            self.config_file
                .as_ref()
                .map_or_else(|| "no config file".to_string(), |p| p.display().to_string()),
            self.data_dir.display().to_string(),
            self.db.display().to_string(),
            self.author,
            self.log.as_deref().unwrap_or("warn"),
        )
    }
}

fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| {
        format!(
            "{}: not a valid Gavah config (keys: db, author, log)",
            path.display()
        )
    })
}
