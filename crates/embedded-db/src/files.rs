//! The embedded server's files of ours — its passwords and its lock, beside the data directory —
//! read and written so that nobody else can swap them: never through a symbolic link (a link
//! planted where one of them goes is refused, not followed: `O_NOFOLLOW`), only when they are
//! ours, never readable by others, and in a directory that no other user can write.

use anyhow::{bail, Context};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

fn euid() -> u32 {
    // SAFETY: geteuid cannot fail and touches no memory of ours.
    unsafe { libc::geteuid() }
}

/// Opens `path` without following a link; None when it does not exist (and `options` do not
/// create it).
fn open(path: &Path, options: &mut OpenOptions) -> anyhow::Result<Option<File>> {
    match options.custom_flags(libc::O_NOFOLLOW).open(path) {
        Ok(file) => Ok(Some(file)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) if err.raw_os_error() == Some(libc::ELOOP) => bail!(
            "{} is a symbolic link: refusing to follow it (the embedded PostgreSQL's files must be plain files; remove the link)",
            path.display()
        ),
        Err(err) => Err(err).with_context(|| format!("opening {}", path.display())),
    }
}

/// Refuses a file another user owns; takes back the rights others have on one of ours.
fn ours(file: &File, path: &Path) -> anyhow::Result<()> {
    let meta = file.metadata().with_context(|| format!("reading {}", path.display()))?;
    if meta.uid() != euid() {
        bail!(
            "{} belongs to another user (uid {}), not to this process's (uid {}): refusing to use it",
            path.display(),
            meta.uid(),
            euid()
        );
    }
    if meta.mode() & 0o077 != 0 {
        file.set_permissions(fs::Permissions::from_mode(0o600))
            .with_context(|| format!("making {} private", path.display()))?;
        tracing::warn!(path = %path.display(), "other users could read this file: it is private now (0600)");
    }
    Ok(())
}

/// The text of a private file of ours (trimmed); None when there is none or it is empty.
pub fn read_private(path: &Path) -> anyhow::Result<Option<String>> {
    let Some(mut file) = open(path, File::options().read(true))? else {
        return Ok(None);
    };
    ours(&file, path)?;
    let mut text = String::new();
    file.read_to_string(&mut text)
        .with_context(|| format!("reading {}", path.display()))?;
    Ok(Some(text.trim().to_string()).filter(|t| !t.is_empty()))
}

/// Writes a private file of ours (0600), replacing what it held.
pub fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut file = open(path, File::options().write(true).create(true).truncate(false).mode(0o600))?
        .with_context(|| format!("creating {}", path.display()))?;
    ours(&file, path)?;
    file.set_len(0)?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

/// The lock file, created when missing (0600), never through a link, and ours.
pub fn open_lock(path: &Path) -> anyhow::Result<File> {
    let file = open(
        path,
        File::options().read(true).write(true).create(true).truncate(false).mode(0o600),
    )?
    .with_context(|| format!("creating the lock file {}", path.display()))?;
    ours(&file, path)?;
    Ok(file)
}

/// A file inside the server's own data directory (private to the server's user), read without
/// following a link.
pub fn read_no_follow(path: &Path) -> anyhow::Result<Option<String>> {
    let Some(mut file) = open(path, File::options().read(true))? else {
        return Ok(None);
    };
    let mut text = String::new();
    file.read_to_string(&mut text)
        .with_context(|| format!("reading {}", path.display()))?;
    Ok(Some(text))
}

/// Replaces the content of such a file, keeping its owner and mode.
pub fn rewrite_no_follow(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut file = open(path, File::options().write(true).truncate(true))?.with_context(|| format!("{} is missing", path.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

/// Makes sure no other user can write the directory that holds our files: one of ours is made
/// so (0755 when created, the group's and others' write taken back when it was open); one of
/// another user's that others can write is refused.
pub fn private_parent(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if !dir.exists() {
        // Others may enter it (as root, the server's user must reach the data directory below)
        // but not write it.
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o755)
            .create(dir)
            .with_context(|| format!("creating {}", dir.display()))?;
    }
    let meta = fs::metadata(dir).with_context(|| format!("reading {}", dir.display()))?;
    if meta.mode() & 0o022 == 0 {
        return Ok(());
    }
    if meta.uid() == euid() {
        let mode = meta.mode() & 0o7777 & !0o022;
        fs::set_permissions(dir, fs::Permissions::from_mode(mode))
            .with_context(|| format!("making {} writable only by its owner", dir.display()))?;
        tracing::warn!(dir = %dir.display(), mode = format!("{mode:o}"), "other users could write the directory of the embedded PostgreSQL's password and lock files: they cannot now");
        return Ok(());
    }
    bail!(
        "the directory {} holds the embedded PostgreSQL's password and lock files, but other users can write it (mode {:o}, owner uid {}): \
         make it writable only by its owner, or choose another database.embedded_data_dir",
        dir.display(),
        meta.mode() & 0o7777,
        meta.uid()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("mc-files-{}", uuid::Uuid::new_v4()));
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_planted_link_is_refused_not_followed() {
        let dir = scratch();
        let target = dir.join("target");
        fs::write(&target, "kept").unwrap();
        let link = dir.join("pg.password");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        for err in [
            read_private(&link).unwrap_err(),
            write_private(&link, "secret").unwrap_err(),
            open_lock(&link).unwrap_err(),
        ] {
            assert!(format!("{err:#}").contains("symbolic link"), "{err:#}");
        }
        assert_eq!(fs::read_to_string(&target).unwrap(), "kept", "nothing written through the link");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn private_files_are_0600_and_read_back() {
        let dir = scratch();
        let path = dir.join("pg.password");
        assert_eq!(read_private(&path).unwrap(), None);
        write_private(&path, "longer-secret").unwrap();
        write_private(&path, "secret").unwrap();
        assert_eq!(fs::metadata(&path).unwrap().mode() & 0o777, 0o600);
        assert_eq!(read_private(&path).unwrap().as_deref(), Some("secret"));
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        read_private(&path).unwrap();
        assert_eq!(fs::metadata(&path).unwrap().mode() & 0o777, 0o600, "made private again");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_directory_of_ours_others_could_write_is_closed() {
        let dir = scratch();
        let open = dir.join("open");
        fs::create_dir(&open).unwrap();
        fs::set_permissions(&open, fs::Permissions::from_mode(0o777)).unwrap();
        private_parent(&open).unwrap();
        assert_eq!(fs::metadata(&open).unwrap().mode() & 0o777, 0o755);
        let made = dir.join("a/b");
        private_parent(&made).unwrap();
        assert_eq!(fs::metadata(&made).unwrap().mode() & 0o022, 0, "writable by its owner only");
        fs::remove_dir_all(&dir).unwrap();
    }
}
