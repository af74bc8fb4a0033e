//! Paths as the permission layer sees them: made absolute against the call's working directory
//! and normalized lexically (`.` and `..` resolved as text).
//!
//! Why lexically: this crate does no I/O, and the decision has to be the same wherever it is
//! taken (the service, a replayed audit, a test). The price is that a symlink inside the working
//! directory that points outside it is not seen; the agent's own sandbox must not rely on this
//! layer alone for that.
//!
//! Why a made-up home: an agent's `~` is a directory we cannot know. `~/x` resolves to
//! `/home/~/x`, a path that is never inside a real working directory (so writes there stay
//! outside, fail closed) and that a rule's `~/` (`/home/*/…`) and `//**/…` patterns still match.

/// Where `~` and `$HOME` lead: no real directory, see the module's docs.
pub(crate) const HOME: &str = "/home/~";

/// Files a redirection may write to anywhere: they are not files.
pub(crate) const HARMLESS_WRITES: &[&str] = &["/dev/null", "/dev/stdout", "/dev/stderr"];

/// `path` made absolute against `cwd` and normalized; `None` when it cannot be (empty, or
/// relative while `cwd` is not absolute).
pub(crate) fn resolve(path: &str, cwd: &str) -> Option<String> {
    if path.is_empty() {
        return None;
    }
    if is_relative(path) {
        return Some(join(&working_dir(cwd)?, path));
    }
    Some(join("/", path))
}

/// Whether `path` depends on the directory it is read from (not `/…`, `~…` or `$HOME…`).
pub(crate) fn is_relative(path: &str) -> bool {
    !path.starts_with('/') && home_relative(path).is_none()
}

/// `path` read from the absolute directory `base`, normalized.
pub(crate) fn join(base: &str, path: &str) -> String {
    if let Some(rest) = home_relative(path) {
        return normalize(&format!("{HOME}/{rest}"));
    }
    if path.starts_with('/') {
        return normalize(path);
    }
    normalize(&format!("{base}/{path}"))
}

/// What follows `~`, `$HOME` or `${HOME}` at the start of a path, or `None` for a path that
/// does not start there. `~user` is someone else's home: it resolves like `~` (outside).
fn home_relative(path: &str) -> Option<&str> {
    for home in ["${HOME}", "$HOME", "~"] {
        if let Some(rest) = path.strip_prefix(home) {
            if rest.is_empty() {
                return Some("");
            }
            if let Some(rest) = rest.strip_prefix('/') {
                return Some(rest);
            }
            if home == "~" {
                // `~user/x`: the user's home.
                return Some(rest.split_once('/').map_or("", |(_, after)| after));
            }
        }
    }
    None
}

/// The working directory a call's paths are inside of: absolute, normalized, and not `/` (a
/// working directory of `/` would put every file of the machine inside the project).
pub(crate) fn working_dir(cwd: &str) -> Option<String> {
    if !cwd.starts_with('/') {
        return None;
    }
    let cwd = normalize(cwd);
    let system = SYSTEM_DIRS.iter().any(|dir| cwd == *dir || cwd.starts_with(&format!("{dir}/")));
    (cwd != "/" && !system && !HOMES.contains(&cwd.as_str())).then_some(cwd)
}

/// The machine's own directories: no project lives there, so "inside the working directory"
/// means nothing when an agent stands in one (`cd /etc` then an edit is not "inside").
const SYSTEM_DIRS: &[&str] = &[
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/proc",
    "/root/.ssh",
    "/run",
    "/sbin",
    "/sys",
    "/usr",
    "/var",
];

/// Whole home directories: a project is a directory under one, never all of it.
const HOMES: &[&str] = &["/home", "/root", "/Users"];

/// The working directory a call is judged in: its own `cwd` when that lies inside `root`, the
/// directory the agent's session started in (Claude Code's and Codex's project directory); else
/// none, so every edit and every redirection is outside. A model that `cd`s to `/etc` or to
/// another project does not take "inside the working directory" with it.
pub fn judged_cwd<'a>(root: Option<&str>, cwd: &'a str) -> &'a str {
    let Some(root) = root else { return cwd };
    match (working_dir(root), working_dir(cwd)) {
        (Some(root), Some(here)) if relative(&here, &root).is_some() => cwd,
        _ => "",
    }
}

/// An absolute path with `.`, `..` and repeated `/` resolved as text; `..` above `/` stays at `/`.
pub(crate) fn normalize(absolute: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in absolute.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    format!("/{}", parts.join("/"))
}

/// `path` (normalized, absolute) relative to `cwd` (from [`working_dir`]): `""` for the directory
/// itself, `None` outside it.
pub(crate) fn relative<'a>(path: &'a str, cwd: &str) -> Option<&'a str> {
    if path == cwd {
        return Some("");
    }
    path.strip_prefix(cwd)?.strip_prefix('/')
}

/// Whether `path` as the call gives it lies inside the call's working directory.
pub(crate) fn inside(path: &str, cwd: &str) -> bool {
    match (resolve(path, cwd), working_dir(cwd)) {
        (Some(path), Some(cwd)) => relative(&path, &cwd).is_some(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_normalize_lexically() {
        assert_eq!(normalize("/a/./b/../c//d/"), "/a/c/d");
        assert_eq!(normalize("/../../etc/passwd"), "/etc/passwd");
        assert_eq!(normalize("/"), "/");
        assert_eq!(resolve("src/../lib.rs", "/work/p"), Some("/work/p/lib.rs".into()));
        assert_eq!(resolve("../other/x", "/work/p"), Some("/work/other/x".into()));
        assert_eq!(resolve("/etc/x", "relative"), Some("/etc/x".into()));
        assert_eq!(resolve("x", "relative"), None);
        assert_eq!(resolve("x", ""), None);
        assert_eq!(resolve("", "/work"), None);
        assert_eq!(join("/", "etc/shadow"), "/etc/shadow");
        assert_eq!(join("/home/~/.aws", "../.ssh/x"), "/home/~/.ssh/x");
        assert!(is_relative("a/b") && !is_relative("/a") && !is_relative("~/a") && !is_relative("$HOME/a"));
    }

    #[test]
    fn home_is_a_directory_no_project_is_in() {
        assert_eq!(resolve("~/.ssh/id_rsa", "/work"), Some("/home/~/.ssh/id_rsa".into()));
        assert_eq!(resolve("$HOME/.aws/credentials", "/w"), Some("/home/~/.aws/credentials".into()));
        assert_eq!(resolve("${HOME}", "/w"), Some("/home/~".into()));
        assert_eq!(resolve("~bob/x", "/w"), Some("/home/~/x".into()));
        assert_eq!(resolve("~x", "/w"), Some("/home/~".into()));
        assert!(!inside("~/project/x", "/root/project"));
    }

    #[test]
    fn inside_means_under_an_absolute_working_directory() {
        assert!(inside("src/main.rs", "/work/p"));
        assert!(inside("/work/p/src/main.rs", "/work/p/"));
        assert!(inside("/work/p", "/work/p"));
        assert!(!inside("/work/p2/x", "/work/p"));
        assert!(!inside("/work/p/../p2/x", "/work/p"));
        assert!(!inside("../x", "/work/p"));
        assert!(!inside("x", "work/p"));
        assert!(!inside("x", ""));
        assert!(!inside("/etc/passwd", "/"));
        assert_eq!(relative("/work/p", "/work/p"), Some(""));
        assert_eq!(relative("/work/p/a/b", "/work/p"), Some("a/b"));
        assert_eq!(relative("/work/pp", "/work/p"), None);
    }
}

#[cfg(test)]
mod judged {
    use super::*;

    #[test]
    fn a_call_is_judged_in_its_session_s_project_or_nowhere() {
        assert_eq!(judged_cwd(None, "/home/dev/shop"), "/home/dev/shop");
        assert_eq!(judged_cwd(Some("/home/dev/shop"), "/home/dev/shop/src"), "/home/dev/shop/src");
        assert_eq!(judged_cwd(Some("/home/dev/shop"), "/home/dev/shop"), "/home/dev/shop");
        assert_eq!(judged_cwd(Some("/home/dev/shop"), "/etc"), "");
        assert_eq!(judged_cwd(Some("/home/dev/shop"), "/home/dev/other"), "");
        assert_eq!(judged_cwd(Some("/home/dev/shop"), "/home/dev/shop/../other"), "");
        assert_eq!(judged_cwd(Some("/etc"), "/etc"), "", "a session that starts in /etc has no project");
        for system in ["/", "/etc", "/usr/local/bin", "/home", "/root", "/var/lib"] {
            assert_eq!(working_dir(system), None, "{system}");
        }
        assert_eq!(working_dir("/root/project").as_deref(), Some("/root/project"));
    }
}
