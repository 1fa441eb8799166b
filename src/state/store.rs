//! `LocalStore`: state in `<working dir>/.keyway/state.json`, written atomically, guarded by an
//! OS advisory lock on `.keyway/state.lock`.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use super::crypt::{self, Codec};
use super::error::{Error, LockInfo};
use super::file;
use super::model::State;

const DIR: &str = ".keyway";
const STATE_FILE: &str = "state.json";
const LOCK_FILE: &str = "state.lock";

/// Identity of a file version we read or wrote ourselves, so `write` can skip re-reading and
/// re-validating the file on every call (thousands of writes per apply).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    #[cfg(unix)]
    ino: u64,
}

impl Stamp {
    fn of(meta: &fs::Metadata) -> Stamp {
        #[cfg(unix)]
        use std::os::unix::fs::MetadataExt;
        Stamp {
            len: meta.len(),
            modified: meta.modified().ok(),
            #[cfg(unix)]
            ino: meta.ino(),
        }
    }
}

#[derive(Debug, Default)]
struct Cache {
    /// The state file currently on disk is one we read or wrote and know to be valid.
    known_good: Option<Stamp>,
}

/// State stored in the local filesystem.
#[derive(Debug)]
pub struct LocalStore {
    dir: PathBuf,
    /// The state file's name in `dir` (`state.json`, or the file `backend "local" { path }`
    /// names); its backup is `{file}.backup`.
    file: String,
    /// Whether `dir` is keyway's own (`.keyway/`, a workspace's folder), where a `.gitignore`
    /// of `*` may be written; a `path` elsewhere leaves the user's folder alone.
    own_dir: bool,
    cache: Mutex<Cache>,
    /// How the state is encrypted, once the configuration said (`encryption` block).
    codec: std::sync::OnceLock<std::sync::Arc<Codec>>,
}

/// A held state lock; released when dropped (and by the OS if the process dies).
#[derive(Debug)]
pub struct Lock {
    file: File,
    path: PathBuf,
    info: LockInfo,
}

impl Lock {
    pub fn info(&self) -> &LockInfo {
        &self.info
    }

    /// The lock file, `.keyway/state.lock`.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Clear the holder details first so nobody reads stale info, then release. The lock
        // file itself stays: deleting it would let a waiter lock the orphaned inode while a
        // newcomer locks a fresh file at the same path. Errors are ignored: closing the handle
        // releases the OS lock regardless.
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

/// The workspace Terraform starts in, whose state is `.keyway/state.json`.
pub const DEFAULT_WORKSPACE: &str = "default";

/// The workspace a command works in: `TF_WORKSPACE` (as Terraform reads it), else the one
/// `keyway workspace select` recorded in `.keyway/environment`, else `default`.
pub fn current_workspace(working_dir: &Path) -> String {
    if let Ok(w) = std::env::var("TF_WORKSPACE") {
        if !w.trim().is_empty() {
            return w.trim().to_owned();
        }
    }
    fs::read_to_string(working_dir.join(DIR).join("environment"))
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_WORKSPACE.to_owned())
}

/// Records the selected workspace (`keyway workspace select`).
pub fn select_workspace(working_dir: &Path, name: &str) -> Result<(), Error> {
    let dir = working_dir.join(DIR);
    fs::create_dir_all(&dir).map_err(|e| Error::io("create directory", &dir, e))?;
    let path = dir.join("environment");
    fs::write(&path, format!("{name}\n")).map_err(|e| Error::io("write", &path, e))
}

/// Every workspace with a state folder, `default` first, then sorted.
pub fn workspaces(working_dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(working_dir.join(DIR).join(WORKSPACES))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    names.insert(0, DEFAULT_WORKSPACE.to_owned());
    names
}

/// Where non-default workspaces keep their state, below `.keyway/`.
const WORKSPACES: &str = "workspaces";

impl LocalStore {
    /// The store of the current workspace ([`current_workspace`]).
    pub fn new(working_dir: &Path) -> LocalStore {
        LocalStore::for_workspace(working_dir, &current_workspace(working_dir))
    }

    /// The store of workspace `name`: `.keyway/` for `default`, else
    /// `.keyway/workspaces/{name}/`.
    pub fn for_workspace(working_dir: &Path, name: &str) -> LocalStore {
        let dir = if name == DEFAULT_WORKSPACE {
            working_dir.join(DIR)
        } else {
            working_dir.join(DIR).join(WORKSPACES).join(name)
        };
        LocalStore::in_dir(dir)
    }

    /// A workspace's own folder holding `state.json` (`backend "local" { workspace_dir }`).
    pub fn in_dir(dir: PathBuf) -> LocalStore {
        LocalStore {
            dir,
            file: STATE_FILE.to_owned(),
            own_dir: true,
            cache: Mutex::new(Cache::default()),
            codec: std::sync::OnceLock::new(),
        }
    }

    /// The state in the file `path` (`backend "local" { path }`): its backup beside it as
    /// `{path}.backup` (as Terraform keeps `terraform.tfstate.backup`), its lock file as
    /// `.{name}.lock`.
    pub fn at_path(path: &Path) -> LocalStore {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let file = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_else(|| STATE_FILE.to_owned());
        LocalStore {
            dir,
            file,
            own_dir: false,
            cache: Mutex::new(Cache::default()),
            codec: std::sync::OnceLock::new(),
        }
    }

    /// Deletes this workspace's state: its folder when keyway owns it, else the state file
    /// and its backup only.
    pub fn delete(&self) -> Result<(), Error> {
        if self.own_dir {
            return fs::remove_dir_all(&self.dir).map_err(|e| Error::io("delete", &self.dir, e));
        }
        for p in [self.state_path(), self.backup_path(), self.lock_path()] {
            match fs::remove_file(&p) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(Error::io("delete", &p, e))
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The folder holding this workspace's state.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn state_path(&self) -> PathBuf {
        self.dir.join(&self.file)
    }

    pub fn backup_path(&self) -> PathBuf {
        self.dir.join(self.backup_file())
    }

    fn backup_file(&self) -> String {
        format!("{}.backup", self.file)
    }

    pub fn lock_path(&self) -> PathBuf {
        if self.own_dir {
            self.dir.join(LOCK_FILE)
        } else {
            self.dir.join(format!(".{}.lock", self.file))
        }
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        // A poisoned cache only means a panic elsewhere; its data is still a valid hint.
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Encrypts and decrypts the state from now on.
    pub fn set_codec(&self, codec: std::sync::Arc<Codec>) {
        let _ = self.codec.set(codec);
    }

    fn codec(&self) -> Option<&Codec> {
        self.codec.get().map(|c| &**c)
    }

    /// Reads and validates the current state, or `None` if there is none yet.
    pub fn read(&self) -> Result<Option<State>, Error> {
        let path = self.state_path();
        let Some((text, stamp)) = read_with_stamp(&path)? else {
            return Ok(None);
        };
        let location = path.display().to_string();
        let text = crypt::open_text(self.codec(), text.into_bytes(), &location)?;
        // `backend "local" { path = "terraform.tfstate" }`: Terraform's state, to adopt.
        if super::terraform::is_terraform_state(&text) {
            return Err(Error::TerraformState { location });
        }
        let state = file::parse(&path, &text)?;
        self.cache().known_good = Some(stamp);
        Ok(Some(state))
    }

    /// The state file's bytes as they are, for `keyway state pull`.
    pub fn read_raw(&self) -> Result<Option<String>, Error> {
        let path = self.state_path();
        match read_with_stamp(&path)? {
            None => Ok(None),
            Some((text, _)) => {
                crypt::open_text(self.codec(), text.into_bytes(), &path.display().to_string())
                    .map(Some)
            }
        }
    }

    /// Increments `state.serial` and persists the state atomically. Refuses to replace a
    /// state file that is not a valid keyway state. On failure the serial is restored.
    pub fn write(&self, state: &mut State) -> Result<(), Error> {
        self.ensure_dir()?;
        self.check_replaceable()?;
        state.serial += 1;
        let result = file::to_bytes(state)
            .and_then(|bytes| crypt::seal(self.codec(), bytes))
            .and_then(|bytes| self.persist(&bytes));
        if result.is_err() {
            state.serial -= 1;
        }
        result
    }

    /// Encodes the next version of the state (incrementing its serial) without writing it, so
    /// that a writer need not hold the state while it waits on the disk; [`Self::commit`]
    /// writes the bytes.
    pub fn encode_next(&self, state: &mut State) -> Result<Vec<u8>, Error> {
        state.serial += 1;
        file::to_bytes(state)
            .and_then(|bytes| crypt::seal(self.codec(), bytes))
            .inspect_err(|_| state.serial -= 1)
    }

    /// Writes bytes made by [`Self::encode_next`] atomically, refusing to replace a state file
    /// that is not a valid keyway state.
    pub fn commit(&self, bytes: &[u8]) -> Result<(), Error> {
        self.ensure_dir()?;
        self.check_replaceable()?;
        self.persist(bytes)
    }

    /// Replaces the state with `json` (for `keyway state push`). The document must be a valid
    /// state; unless `force`, it must share the current lineage and have a higher serial, and
    /// the current file must itself be valid.
    pub fn write_raw(&self, json: &str, force: bool) -> Result<(), Error> {
        let pushed = file::parse(Path::new("<pushed state>"), json)?;
        self.ensure_dir()?;
        match self.read() {
            Ok(Some(current)) if !force => {
                if current.lineage != pushed.lineage {
                    return Err(Error::LineageMismatch {
                        current: current.lineage,
                        pushed: pushed.lineage,
                    });
                }
                if pushed.serial <= current.serial {
                    return Err(Error::SerialNotNewer {
                        current: current.serial,
                        pushed: pushed.serial,
                    });
                }
            }
            Ok(_) => {}
            // Forcing over an unreadable file is the way to repair it; the damaged file is
            // kept as the backup by `persist`.
            Err(Error::Corrupt { .. } | Error::UnsupportedVersion { .. }) if force => {}
            Err(e) => return Err(e),
        }
        // Re-rendered rather than copied, so the file on disk is always canonical.
        self.persist(&crypt::seal(self.codec(), file::to_bytes(&pushed)?)?)
    }

    /// Makes sure the current state file (if any) is one we may replace.
    fn check_replaceable(&self) -> Result<(), Error> {
        let path = self.state_path();
        let meta = match fs::metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(Error::io("inspect", &path, e)),
        };
        if self.cache().known_good == Some(Stamp::of(&meta)) {
            return Ok(());
        }
        // Unknown version of the file (first write, or someone else changed it): validate.
        // Terraform's state may be replaced: `keyway init` adopts it in place (the write
        // keeps it as the backup), and every other command refuses to read it first.
        match self.read() {
            Ok(_) | Err(Error::TerraformState { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Writes `bytes` as the new state file: temp file in the same directory, fsync, keep the
    /// previous file as backup, rename over, fsync the directory. A crash at any point leaves
    /// either the old or the new complete file at `state.json`.
    fn persist(&self, bytes: &[u8]) -> Result<(), Error> {
        let path = self.state_path();
        let tmp = self.dir.join(format!(
            ".{}.tmp-{}-{}",
            self.file,
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        let result = (|| {
            let mut f = create_private(&tmp, true)?;
            f.write_all(bytes)
                .map_err(|e| Error::io("write", &tmp, e))?;
            f.sync_all().map_err(|e| Error::io("sync", &tmp, e))?;
            drop(f);
            self.backup(&path)?;
            fs::rename(&tmp, &path).map_err(|e| Error::io("replace", &path, e))?;
            sync_dir(&self.dir)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
            return result;
        }
        let meta = fs::metadata(&path).map_err(|e| Error::io("inspect", &path, e))?;
        self.cache().known_good = Some(Stamp::of(&meta));
        Ok(())
    }

    /// Keeps the current file as `state.json.backup`, so the state one write ago survives
    /// even if the current file is later damaged. A hard link costs no copying (this runs on
    /// every write) and the rename replaces the old backup atomically.
    fn backup(&self, path: &Path) -> Result<(), Error> {
        if fs::symlink_metadata(path).is_ok() {
            let backup = self.backup_path();
            let tmp = self.dir.join(format!(
                ".{}.tmp-{}-{}",
                self.backup_file(),
                std::process::id(),
                uuid::Uuid::new_v4().simple()
            ));
            if fs::hard_link(path, &tmp).is_err() {
                // Filesystems without hard links: copy (which also copies the 0600 mode).
                fs::copy(path, &tmp).map_err(|e| Error::io("back up", path, e))?;
                File::open(&tmp)
                    .and_then(|f| f.sync_all())
                    .map_err(|e| Error::io("sync", &tmp, e))?;
            }
            if let Err(e) = fs::rename(&tmp, &backup) {
                let _ = fs::remove_file(&tmp);
                return Err(Error::io("replace", &backup, e));
            }
        }
        Ok(())
    }

    /// Creates `.keyway/` with a `.gitignore` of `*`: state holds secrets and must never be
    /// committed.
    /// Creates `.keyway/` with its `.gitignore` if missing.
    pub fn ensure_dir(&self) -> Result<(), Error> {
        fs::create_dir_all(&self.dir).map_err(|e| Error::io("create directory", &self.dir, e))?;
        if !self.own_dir {
            return Ok(());
        }
        let gitignore = self.dir.join(".gitignore");
        if !gitignore.exists() {
            fs::write(&gitignore, "*\n").map_err(|e| Error::io("write", &gitignore, e))?;
        }
        Ok(())
    }

    /// Takes the state lock for `operation` (e.g. `apply`), failing at once if another
    /// process (or another `Lock` in this process) holds it.
    pub fn lock(&self, operation: &str) -> Result<Lock, Error> {
        self.ensure_dir()?;
        let path = self.lock_path();
        // Retry in case the file is removed (force-unlock) between our open and our lock.
        for _ in 0..5 {
            // A fresh handle per call: OS file locks belong to the open file description, so
            // a second `lock()` in the same process conflicts with the first.
            let mut f = create_private(&path, false)?;
            match f.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(match read_lock_info(&mut f) {
                        Some(info) => Error::Locked {
                            path,
                            info: Box::new(info),
                        },
                        None => Error::LockedUnknown { path },
                    });
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(Error::io("lock", &path, e)),
            }
            if !same_file(&f, &path) {
                continue;
            }
            let info = LockInfo {
                id: uuid::Uuid::new_v4().to_string(),
                operation: operation.to_string(),
                who: who(),
                pid: std::process::id(),
                created: now_rfc3339(),
            };
            let json = serde_json::to_vec_pretty(&info).map_err(Error::Serialize)?;
            f.set_len(0)
                .and_then(|_| f.seek(SeekFrom::Start(0)))
                .and_then(|_| f.write_all(&json))
                .and_then(|_| f.write_all(b"\n"))
                .and_then(|_| f.sync_data())
                .map_err(|e| Error::io("write", &path, e))?;
            self.remove_stale_temp_files();
            return Ok(Lock {
                file: f,
                path,
                info,
            });
        }
        Err(Error::LockedUnknown { path })
    }

    /// Removes the temp files of writes that never finished (the process was killed between
    /// creating and renaming them): each holds a whole state, secrets included. Called with the
    /// lock held, so no other run is writing; a file whose process still lives is left alone
    /// all the same (a holder that was force-unlocked may still finish its write).
    fn remove_stale_temp_files(&self) {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        for e in entries.flatten() {
            let name = e.file_name();
            let Some(pid) = name
                .to_str()
                .and_then(|n| temp_file_pid(n, &[&self.file, &self.backup_file()]))
            else {
                continue;
            };
            if pid == std::process::id() || !process_exists(pid) {
                let _ = fs::remove_file(e.path());
            }
        }
    }

    /// Removes a lock whose holder is gone or stuck, after checking `id` matches the recorded
    /// lock so an unrelated, newer lock is not broken by mistake.
    ///
    /// What this can and cannot do: an OS advisory lock belongs to the holder's open file and
    /// no other process can release it; it vanishes when the holder exits or is killed, so a
    /// dead process never needs force-unlock. What we can do is delete the lock file: the next
    /// run then creates and locks a new file at the same path, and is no longer excluded by a
    /// holder still alive on the old, now unlinked file. So this is only safe when the holder
    /// is hung or truly not writing any more (or the OS lock did not work, e.g. on some
    /// network filesystems).
    ///
    /// A holder still running on this host (the recorded pid exists) is refused, naming it:
    /// breaking its lock lets two runs write state over each other. `holder` overrides that
    /// for a hung process, and only when it names the recorded pid, so the override is
    /// deliberate and about the process the user looked at.
    pub fn force_unlock(&self, id: &str, holder: Option<u32>) -> Result<(), Error> {
        let path = self.lock_path();
        let mut f = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::NotLocked { path })
            }
            Err(e) => return Err(Error::io("open", &path, e)),
        };
        let Some(info) = read_lock_info(&mut f) else {
            return Err(Error::NotLocked { path });
        };
        if info.id != id {
            return Err(Error::LockIdMismatch {
                given: id.to_string(),
                recorded: info.id,
            });
        }
        if holder != Some(info.pid) && holder_alive(&info) {
            return Err(Error::HolderAlive {
                info: Box::new(info),
            });
        }
        fs::remove_file(&path).map_err(|e| Error::io("remove", &path, e))
    }
}

/// Reads a file and the identity of the version read (taken from the open handle, so it
/// describes exactly the bytes returned).
fn read_with_stamp(path: &Path) -> Result<Option<(String, Stamp)>, Error> {
    let mut f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("open", path, e)),
    };
    let meta = f.metadata().map_err(|e| Error::io("inspect", path, e))?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    f.read_to_end(&mut bytes)
        .map_err(|e| Error::io("read", path, e))?;
    let text = String::from_utf8(bytes).map_err(|e| Error::Corrupt {
        path: path.to_path_buf(),
        problem: format!("not UTF-8 text ({e})"),
    })?;
    Ok(Some((text, Stamp::of(&meta))))
}

fn read_lock_info(f: &mut File) -> Option<LockInfo> {
    let mut text = String::new();
    f.seek(SeekFrom::Start(0)).ok()?;
    f.read_to_string(&mut text).ok()?;
    serde_json::from_str(&text).ok()
}

/// Opens (or creates) a file readable and writable by the owner only. `new` demands a file
/// that does not exist yet.
fn create_private(path: &Path, new: bool) -> Result<File, Error> {
    let mut opts = OpenOptions::new();
    opts.read(true).write(true);
    if new {
        opts.create_new(true);
    } else {
        opts.create(true).truncate(false);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path).map_err(|e| Error::io("create", path, e))
}

/// Whether `path` still names the file behind `f` (it may have been force-unlocked away).
fn same_file(f: &File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (f.metadata(), fs::metadata(path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (f, path);
        true
    }
}

/// Makes a rename in `dir` durable.
fn sync_dir(dir: &Path) -> Result<(), Error> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| Error::io("sync directory", dir, e))
    }
    #[cfg(not(unix))]
    {
        // Windows cannot open directories for syncing; rename there is already durable enough.
        let _ = dir;
        Ok(())
    }
}

/// The pid in the name of a temp file made by `persist` or `backup`
/// (`.state.json.tmp-PID-UUID`, `.state.json.backup.tmp-PID-UUID`).
fn temp_file_pid(name: &str, files: &[&str]) -> Option<u32> {
    let rest = files
        .iter()
        .find_map(|f| name.strip_prefix(&format!(".{f}.tmp-")))?;
    rest.split('-').next()?.parse().ok()
}

/// Whether the process recorded in a lock is still running. Only a holder on this host can be
/// checked; one elsewhere (a shared filesystem) is taken as gone, as before this check.
fn holder_alive(info: &LockInfo) -> bool {
    let host = info.who.rsplit('@').next().unwrap_or_default();
    host == gethostname::gethostname().to_string_lossy() && process_exists(info.pid)
}

#[cfg(target_os = "linux")]
fn process_exists(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

#[cfg(all(unix, not(target_os = "linux")))]
fn process_exists(pid: u32) -> bool {
    // `kill -0` asks the OS whether the process exists without signalling it.
    std::process::Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[cfg(not(unix))]
fn process_exists(_pid: u32) -> bool {
    // Cannot tell: refuse rather than break a live lock.
    true
}

pub(crate) fn who() -> String {
    let user = ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "unknown".to_string());
    let host = gethostname::gethostname().to_string_lossy().into_owned();
    format!("{user}@{host}")
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "unknown time".to_string())
}
