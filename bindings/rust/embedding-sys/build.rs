//! Finds libembedding for the linker.
//!
//! With EMBEDDING_LIB_DIR set, links the libembedding.so in that directory.
//! Otherwise runs `pkg-config` (or the program named by PKG_CONFIG), which
//! honours PKG_CONFIG_PATH, and requires a 1.x version (ABI version 1).
//! Only the shared library is linked: its own dependencies (OpenBLAS,
//! pthreads) are resolved by the dynamic loader.
//!
//! The library directory is exported to dependent build scripts as
//! DEP_EMBEDDING_LIBDIR.

use std::env;
use std::process::Command;

fn pkg_config(args: &[&str]) -> Result<String, String> {
    let program = env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".to_string());
    let output = Command::new(&program)
        .args(args)
        .arg("embedding")
        .output()
        .map_err(|err| format!("cannot run {}: {}", program, err))?;
    if !output.status.success() {
        return Err(format!(
            "`{} {} embedding` failed: {}",
            program,
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

fn find_libdir() -> Result<String, String> {
    if let Ok(dir) = env::var("EMBEDDING_LIB_DIR") {
        return Ok(dir);
    }
    let version = pkg_config(&["--modversion"])?;
    if version.split('.').next() != Some("1") {
        return Err(format!(
            "pkg-config found libembedding {}, but this crate needs version 1.x \
             (ABI version 1)",
            version
        ));
    }
    pkg_config(&["--variable=libdir"])
}

fn main() {
    println!("cargo:rerun-if-env-changed=EMBEDDING_LIB_DIR");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_LIBDIR");

    let libdir = match find_libdir() {
        Ok(dir) => dir,
        Err(message) => panic!(
            "{}\nInstall libembedding and add <prefix>/lib/pkgconfig to \
             PKG_CONFIG_PATH, or set EMBEDDING_LIB_DIR to the directory of \
             libembedding.so.",
            message
        ),
    };
    println!("cargo:rustc-link-search=native={}", libdir);
    println!("cargo:rustc-link-lib=dylib=embedding");
    println!("cargo:libdir={}", libdir);
}
